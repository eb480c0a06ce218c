import { RECEIVER_ROLES, type Component } from '../../composition/component.js';
import type { WebhookProvider } from '../provider.js';
import { LOGTO_WEBHOOK_PATH, logtoRoute } from './route.js';

/** POST /webhooks/logto (LOGTO_SIGNING_KEYS). */
export const logtoComponent: Component = {
  name: 'logto',
  roles: RECEIVER_ROLES,
  start({ config, metrics, use }) {
    const logtoConfig = config.logto;
    if (!logtoConfig) return;
    const queue = use('eventQueue');
    return {
      routes: { plugin: (app) => logtoRoute(app, { config: logtoConfig, queue, metrics }), endpoints: [`POST ${LOGTO_WEBHOOK_PATH}`] },
    };
  },
};

export const logto: WebhookProvider = { name: 'logto', receivers: [logtoComponent] };
