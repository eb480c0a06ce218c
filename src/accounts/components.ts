import { ALL_ROLES, type Component } from '../composition/component.js';
import { ACCOUNT_ENDPOINTS, accountRoutes } from './http/routes.js';

/** The account state API (ACCOUNT_API_TOKENS), in every role: each has the store. */
export const accountApiComponent: Component = {
  name: 'account-api',
  roles: ALL_ROLES,
  start({ config, use, metrics }) {
    if (config.accounts.apiTokens.length === 0) return;
    const store = use('backend').accountStates();
    const options = {
      store,
      tokens: config.accounts.apiTokens,
      retryAfterSeconds: config.queue.retryAfterSeconds,
      changeFeed: config.accounts.changeFeed,
      registry: metrics.registry,
    };
    return { routes: { plugin: (app) => accountRoutes(app, options), endpoints: ACCOUNT_ENDPOINTS } };
  },
};
