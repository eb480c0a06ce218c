import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.js';
import type { EventQueue } from '../queue/event-queue.js';

/**
 * GET /healthz: 200 while the process is up (liveness; also in worker-only processes).
 * GET /readyz: 200 when the queue answers, else 503 (take this receiver out of rotation).
 * GET /metrics: Prometheus text format.
 */
export async function healthRoutes(app: FastifyInstance, options: { metrics: Metrics; queue?: EventQueue }) {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const ready = options.queue ? await options.queue.isReady() : true;
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'queue unavailable' });
  });
  app.get('/metrics', async (_request, reply) =>
    reply.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics()),
  );
}
