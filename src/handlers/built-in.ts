import type { AccountsConfig } from '../accounts/config.js';
import { accountStateHandler, ACCOUNT_EVENT_NAMES, type AccountStateHandlerOptions } from '../accounts/handler.js';
import type { AccountChange } from '../accounts/model.js';
import type { EventOf } from '../events/catalog.js';
import { forwardHandler } from '../forwarding/forward-handler.js';
import type { Forwarder } from '../forwarding/forwarder.js';
import type { HandlerRegistry } from './registry.js';

export interface BuiltInDeps extends AccountStateHandlerOptions {
  config: AccountsConfig;
  /** Present when forwarding targets are configured (FORWARD_URL or FORWARD_TARGETS). */
  forwarder?: Forwarder;
}

/**
 * Registers the built-in handlers: those BUILT_IN_HANDLERS leaves on, and the forward handler
 * when a forwarding target is configured. The forward handler tells the application what the
 * account-state handler did with the event, so it waits for that handler's result: the registry
 * calls handlers in the order registered, and account-state (registered by name) starts before
 * forward (registered for any event), so its result is known to this function by then.
 */
export function registerBuiltInHandlers(registry: HandlerRegistry, deps: BuiltInDeps): void {
  const accountChanges = new WeakMap<EventOf, Promise<AccountChange | null>>();
  const accountStateOn = deps.config.builtInHandlers.includes('account-state');
  if (accountStateOn) {
    const handle = accountStateHandler(deps);
    registry.on(
      ACCOUNT_EVENT_NAMES,
      (event, context) => {
        const change = handle(event, context);
        accountChanges.set(event, change);
        return change;
      },
      { name: 'account-state' },
    );
  }
  if (deps.forwarder) {
    const accountEvents: ReadonlySet<string> = new Set(ACCOUNT_EVENT_NAMES);
    registry.onAny(
      forwardHandler({
        forwarder: deps.forwarder,
        accountChangeOf: (event) => {
          if (!accountStateOn || !accountEvents.has(event.type)) return undefined;
          const change = accountChanges.get(event);
          // Never expected: it would mean the registry stopped calling handlers in order.
          if (!change) return Promise.reject(new Error('the account-state handler did not run before the forward handler'));
          return change;
        },
      }),
      { name: 'forward' },
    );
  }
}
