import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from '../config/config.js';
import type { Metrics } from '../metrics.js';
import { metricsRoute } from './health-routes.js';

/**
 * /metrics on a listener of its own (METRICS_PORT on METRICS_HOST, loopback unless set), so the
 * port that faces Kakao and Logto does not serve it: metrics name the endpoints, queues and
 * forwarding targets, and rendering them is the most expensive thing an anonymous client could
 * ask for. Undefined when METRICS_PORT is unset (then PORT serves /metrics).
 */
export async function startMetricsServer(config: Config, metrics: Metrics): Promise<FastifyInstance | undefined> {
  if (config.metrics.port === undefined) return undefined;
  const app = Fastify({ logger: false, requestTimeout: config.http.requestTimeoutMs, http: { headersTimeout: config.http.requestTimeoutMs } });
  app.server.maxConnections = 16;
  metricsRoute(app, metrics, config.metrics.cacheMs);
  try {
    await app.listen({ port: config.metrics.port, host: config.metrics.host });
  } catch (error) {
    await app.close();
    throw error;
  }
  return app;
}
