import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.js';
import { createMetricsRenderer } from './metrics-render.js';
import { evaluateReadiness, type ReadinessCheck } from './readiness.js';

/**
 * GET /healthz: 200 while the process is up: pure liveness, it asks nothing else (also in
 *   worker-only processes). A failing store must not get the process restarted.
 * GET /readyz: 200 when every readiness check passes (the store answers, Kakao's keys have been
 *   fetched, ...), else 503 naming each failing check; within about a second either way. Take a
 *   receiver out of rotation while it answers 503.
 * GET /metrics: Prometheus text format; on METRICS_PORT instead when that is set.
 */
export async function healthRoutes(app: FastifyInstance, options: { metrics: Metrics; readiness: readonly ReadinessCheck[]; metricsCacheMs: number; serveMetrics: boolean }) {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const { ready, checks, failing } = await evaluateReadiness(options.readiness);
    return reply.code(ready ? 200 : 503).send(ready ? { status: 'ready', checks } : { status: 'unready', failing, checks });
  });
  if (options.serveMetrics) metricsRoute(app, options.metrics, options.metricsCacheMs);
}

/** GET /metrics: Prometheus text format, rendered at most once a second (metrics-render.ts). */
export function metricsRoute(app: FastifyInstance, metrics: Metrics, cacheMs: number): void {
  const render = createMetricsRenderer(metrics.registry, cacheMs);
  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await render()));
}
