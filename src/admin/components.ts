import { ALL_ROLES, type Component } from '../composition/component.js';
import { queueNames } from '../queue/components.js';
import { ADMIN_DASHBOARD_PATH, ADMIN_ENDPOINTS } from './paths.js';

/** The queue dashboard at /admin/queues (ADMIN_USER, ADMIN_PASSWORD), in every role: each has the store. */
export const dashboardComponent: Component = {
  name: 'dashboard',
  roles: ALL_ROLES,
  start({ config, use }) {
    const credentials = config.admin;
    if (!credentials) return;
    // The shared read-only Queues: the event queue first, then each forwarding target's.
    const queues = queueNames(config).map((name) => use('queues').hold(name));
    return {
      routes: {
        async plugin(app) {
          // Loaded only when configured: Bull Board and its UI cost a process about 25 MB.
          const { adminDashboard } = await import('./dashboard.js');
          await app.register(adminDashboard, { prefix: ADMIN_DASHBOARD_PATH, credentials, queues });
        },
        endpoints: ADMIN_ENDPOINTS,
      },
    };
  },
};
