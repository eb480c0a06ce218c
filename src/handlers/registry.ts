import { EVENT_NAMES, type EventName, type EventOf } from '../events/catalog.js';
import { PERMANENT_ERROR_CODE, PermanentError } from '../errors.js';
import { HandlerError, type ErrorHook, type Handler, type HandlerContext, type HandlerOptions, type HandlerRun } from './types.js';

/**
 * Typed handler registration in the style of octokit/webhooks.js.
 *
 * @example
 * registry.on('kakao.user-unlinked', async (event, { log }) => {
 *   log.info({ user: event.subject?.id, reason: event.data.reason }, 'unlinked');
 * });
 * registry.on(['kakao.sessions-revoked', 'kakao.credential-change'], revokeSessions);
 * registry.onAny((event) => audit(event));
 */
export interface HandlerRegistry {
  /**
   * Runs `handler` for each event of the given type(s). Unknown names throw at start-up.
   * `options.name` names it in metrics (default: the function's name, else 'anonymous').
   */
  on<N extends EventName>(names: N | readonly N[], handler: Handler<N>, options?: HandlerOptions): void;
  /** Runs `handler` for every event, including types this receiver does not know. */
  onAny(handler: Handler, options?: HandlerOptions): void;
  /** Called with every HandlerError; a throwing hook is logged, never fatal. */
  onError(hook: ErrorHook): void;
  /** Runs every matching handler concurrently; throws HandlerError if any failed. */
  receive(event: EventOf, context: HandlerContext): Promise<void>;
  /** Names that have at least one specific handler (onAny not counted). */
  handledNames(): EventName[];
}

export interface HandlerRegistryOptions {
  /**
   * Told after each handler run, with the handler's name, its duration and whether it threw (for
   * metrics; the registry knows nothing of Prometheus). A throwing observer is logged, never fatal.
   */
  onHandlerDone?: (run: HandlerRun) => void;
}

interface Registered {
  handler: Handler;
  name: string;
}

export function createHandlerRegistry(options: HandlerRegistryOptions = {}): HandlerRegistry {
  const byName = new Map<EventName, Registered[]>();
  const any: Registered[] = [];
  const errorHooks: ErrorHook[] = [];
  const registered = (handler: Handler, handlerOptions: HandlerOptions | undefined): Registered => {
    const name = handlerOptions?.name ?? (handler.name || 'anonymous');
    if (typeof name !== 'string' || name.length === 0) throw new TypeError('a handler name must be a non-empty string');
    return { handler, name };
  };
  const run = async ({ handler, name }: Registered, event: EventOf, context: HandlerContext): Promise<unknown> => {
    const started = performance.now();
    let failed = false;
    try {
      return await handler(event, context);
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      try {
        options.onHandlerDone?.({ handler: name, eventType: event.type, seconds: (performance.now() - started) / 1000, failed });
      } catch (observerError) {
        context.log.error({ err: observerError }, 'the onHandlerDone observer threw');
      }
    }
  };

  return {
    on(names, handler, handlerOptions) {
      const list = (typeof names === 'string' ? [names] : [...names]) as EventName[];
      if (list.length === 0) throw new TypeError('on() needs at least one event name');
      for (const name of list) {
        if (name === ('*' as string)) throw new TypeError('use onAny(handler) to handle every event, not on("*")');
        if (!EVENT_NAMES.has(name)) {
          throw new TypeError(`unknown event name "${name}"; the known names are exported as EVENT_NAMES and listed by "npm run cli -- send --list"`);
        }
      }
      const entry = registered(handler as Handler, handlerOptions);
      for (const name of list) byName.set(name, [...(byName.get(name) ?? []), entry]);
    },
    onAny(handler, handlerOptions) {
      any.push(registered(handler, handlerOptions));
    },
    onError(hook) {
      errorHooks.push(hook);
    },
    async receive(event, context) {
      const handlers = [...(byName.get(event.type) ?? []), ...any];
      if (handlers.length === 0) {
        context.log.debug('no handler registered for this event type');
        return;
      }
      const results = await Promise.allSettled(handlers.map(async (entry) => run(entry, event, context)));
      const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
      if (failures.length === 0) return;

      const error = new HandlerError(failures, event);
      for (const hook of errorHooks) {
        try {
          await hook(error, context);
        } catch (hookError) {
          context.log.error({ err: hookError }, 'an onError hook threw');
        }
      }
      throw error;
    },
    handledNames() {
      return [...byName.keys()];
    },
  };
}

/**
 * True when retrying cannot help: every failure was a PermanentError, by class or by its code
 * (a handler module may hold another copy of the class than the worker's).
 */
export function isPermanent(error: unknown): boolean {
  if (error instanceof PermanentError) return true;
  if (error instanceof Error && (error as { code?: unknown }).code === PERMANENT_ERROR_CODE) return true;
  return error instanceof HandlerError && error.errors.length > 0 && error.errors.every(isPermanent);
}
