import type { HandlerRegistry } from './registry.js';

/**
 * What a handler module exports by default, and what `startReceiver({ handlers })` takes: a
 * function that registers handlers on the registry. It may be async (open a database first);
 * start-up waits for it.
 */
export type RegisterHandlers = (registry: HandlerRegistry) => void | Promise<void>;

/**
 * Types a handler module without naming the registry's type: the registry parameter is inferred,
 * so event names and `event.data` are checked.
 *
 * @example
 * export default defineHandlers((registry) => {
 *   registry.on('kakao.user-unlinked', async (event, { log }) => log.info({ user: event.subject?.id }, 'unlinked'));
 * });
 */
export function defineHandlers(register: RegisterHandlers): RegisterHandlers {
  return register;
}
