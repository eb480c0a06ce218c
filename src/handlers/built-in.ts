import type { AccountsConfig } from '../accounts/config.js';
import { accountStateHandler, ACCOUNT_EVENT_NAMES, type AccountStateHandlerOptions } from '../accounts/handler.js';
import type { HandlerRegistry } from './registry.js';

export interface BuiltInDeps extends AccountStateHandlerOptions {
  config: AccountsConfig;
}

/** Registers the built-in handlers that BUILT_IN_HANDLERS leaves on. */
export function registerBuiltInHandlers(registry: HandlerRegistry, deps: BuiltInDeps): void {
  if (deps.config.builtInHandlers.includes('account-state')) {
    registry.on(ACCOUNT_EVENT_NAMES, accountStateHandler(deps), { name: 'account-state' });
  }
}
