import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { JobQueue } from '../queue/backend.js';
import { createErrorEpisode } from '../error-episode.js';
import { basicAuth } from './basic-auth.js';
import type { AdminConfig } from './config.js';
import { forbidFraming, readOnly } from './guards.js';

import { ADMIN_DASHBOARD_PATH } from './paths.js';

export interface AdminDashboardOptions {
  credentials: AdminConfig;
  /** BullMQ Queues on the service's store (any of the three), the event queue first; their owner closes them. */
  queues: readonly JobQueue[];
}

/**
 * Bull Board for the event queue and the forwarding targets' queues, behind HTTP Basic authentication,
 * read-only unless ADMIN_ACTIONS is on. Register it with
 * `{ prefix: ADMIN_DASHBOARD_PATH }`: this plugin is encapsulated, so its onRequest hook runs for
 * every route Bull Board adds under the prefix (the page, `/static/*` and `/api/*`), and for paths
 * under it that match no route, which answer 401 rather than telling a stranger what exists.
 */
export async function adminDashboard(app: FastifyInstance, options: AdminDashboardOptions): Promise<void> {
  const { queues } = options;
  // Errors repeat on every reconnect attempt while the store is down: logged once, with the count
  // when a dashboard request succeeds again.
  const episode = createErrorEpisode(app.log, { component: 'admin-dashboard' }, 'queue dashboard: store error', 'queue dashboard: store answers again');
  for (const queue of queues) queue.on('error', (error) => episode.fail(error));
  app.addHook('onResponse', async (_request, reply) => {
    if (reply.statusCode < 500) episode.ok();
  });
  // In this order: every answer refuses framing, then the credentials (throttled per address),
  // then, unless ADMIN_ACTIONS is on, nothing but reading.
  app.addHook('onRequest', forbidFraming);
  app.addHook('onRequest', basicAuth(options.credentials));
  const { actions } = options.credentials;
  if (!actions) app.addHook('onRequest', readOnly);

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(ADMIN_DASHBOARD_PATH);
  createBullBoard({
    // The Queue class is BullMQ's for every store; only its type parameters differ.
    // Read-only also hides the action buttons, so the page offers nothing that would be refused.
    queues: queues.map((queue) => new BullMQAdapter(queue as unknown as Queue, { readOnlyMode: !actions })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Webhook events', hideDocsLink: true } },
  });
  // Fastify's own 404, but behind the hook above.
  app.setNotFoundHandler(async (request, reply) =>
    reply.code(404).send({ message: `Route ${request.method}:${request.url} not found`, error: 'Not Found', statusCode: 404 }),
  );
  await app.register(serverAdapter.registerPlugin());
}
