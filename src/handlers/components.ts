import { WORKER_ROLES, type Component } from '../composition/component.js';
import { registerBuiltInHandlers } from './built-in.js';
import type { RegisterHandlers } from './define-handlers.js';
import { registerHandlers as registerDefaultHandlers } from './index.js';
import { loadHandlerModules } from './load-modules.js';
import { createHandlerRegistry, type HandlerRegistry } from './registry.js';

declare module '../composition/component.js' {
  interface Services {
    /** The handlers: in the roles that run them (not `receiver`). */
    registry: HandlerRegistry;
  }
}

/**
 * The handler registry: src/handlers/index.ts (or `register`, which replaces it) and the
 * HANDLERS_MODULE modules. First in the list: a handler module that fails to load stops start-up
 * with nothing to close, and before the embedded store spends seconds opening.
 */
export function handlersComponent(register: RegisterHandlers = registerDefaultHandlers): Component {
  return {
    name: 'handlers',
    roles: WORKER_ROLES,
    async start({ config, metrics }) {
      const registry = createHandlerRegistry({ onHandlerDone: (run) => metrics.observeHandler(run) });
      await register(registry);
      await loadHandlerModules(config.handlers.modules, registry);
      return { provides: { registry } };
    },
  };
}

/** The account state's handler and the forward handler (src/handlers/built-in.ts), once the purge and forwarding are up. */
export const builtInHandlersComponent: Component = {
  name: 'built-in-handlers',
  roles: WORKER_ROLES,
  start({ config, use, find }) {
    const forwarder = find('forwarder');
    registerBuiltInHandlers(use('registry'), {
      config: config.accounts,
      store: use('backend').accountStates(),
      onPurged: use('forgetter').forget,
      ...(forwarder ? { forwarder } : {}),
    });
  },
};
