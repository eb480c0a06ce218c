import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Metrics } from '../metrics.js';
import type { EventQueue } from '../queue/event-queue.js';
import type { KeyResolver } from '../providers/kakao/jwks.js';
import { KAKAO_ACCOUNT_STATUS_PATH, kakaoAccountStatusRoute } from '../providers/kakao/account-status-route.js';
import { KAKAO_ADMIN_ENDPOINTS, kakaoAdminRoutes } from '../providers/kakao/admin-routes.js';
import { LOGTO_WEBHOOK_PATH, logtoRoute } from '../providers/logto/route.js';
import { unavailable } from '../errors.js';
import type { AccountStateStore } from '../accounts/store.js';
import { ACCOUNT_ENDPOINTS, accountRoutes } from '../accounts/http/routes.js';
import { ADMIN_DASHBOARD_PATH, ADMIN_ENDPOINTS } from '../admin/paths.js';
import type { JobQueue } from '../queue/backend.js';
import { sendError } from '../error-response.js';
import { healthRoutes } from './health-routes.js';
import { requestIdOf, serializeRequest } from './request-id.js';
import { OneLinePerRequest } from './request-log.js';
import type { ReadinessCheck } from './readiness.js';

export interface AppDeps {
  logger: Logger;
  metrics: Metrics;
  /** Absent in a worker-only process: then only the health and metrics endpoints exist. */
  queue?: EventQueue;
  /** Kakao's JWKS; required when the Kakao account status endpoint is configured. */
  kakaoKeys?: KeyResolver;
  /** What /readyz checks; by default, that the queue's store answers. */
  readiness?: readonly ReadinessCheck[];
  /** The account state; its API is served when ACCOUNT_API_TOKENS is set. */
  accounts?: AccountStateStore;
  /**
   * BullMQ Queues on the store for the queue dashboard at /admin/queues (served when ADMIN_USER
   * and ADMIN_PASSWORD are set): the event queue first, then each forwarding target's. The app
   * closes them when it closes.
   */
  dashboardQueues?: readonly JobQueue[];
}

export interface App {
  app: FastifyInstance;
  /** "METHOD path" of every webhook and account endpoint this app serves, for the start-up log. */
  endpoints: string[];
}

/** Builds the HTTP app; never listens (src/main.ts does). */
export async function buildApp(config: Config, deps: AppDeps): Promise<App> {
  const app = Fastify({
    loggerInstance: deps.logger.child({}, { serializers: { req: serializeRequest } }) as FastifyBaseLogger,
    // Every log line of a request carries `reqId`: the caller's X-Request-Id when well-formed.
    requestIdHeader: false,
    genReqId: requestIdOf,
    logController: new OneLinePerRequest(),
    // Behind a load balancer: keep-alive longer than its idle timeout, bounded request time.
    keepAliveTimeout: 72_000,
    requestTimeout: 10_000,
    bodyLimit: config.http.bodyLimit,
    // Replaced by the hooks below, which also send Retry-After and close the connection.
    return503OnClosing: false,
  });
  app.setErrorHandler((error, request, reply) => sendError(request, reply, error));
  // While closing, a request that still arrives on a kept-alive connection gets a 503 that tells
  // the sender to retry (and load balancers to drain). Every answer then closes its connection:
  // Node closes only the connections idle when close() starts, and a busy keep-alive one would
  // otherwise hold the shutdown until its keep-alive timeout.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async () => {
    if (closing) throw unavailable('ERR_SHUTTING_DOWN', 'shutting down', config.queue.retryAfterSeconds);
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (request, reply) => {
    const endpoint = request.routeOptions.url;
    if (!endpoint?.startsWith('/webhooks/')) return;
    deps.metrics.requests.inc({ endpoint, status: String(reply.statusCode) });
    deps.metrics.ackSeconds.observe({ endpoint }, reply.elapsedTime / 1000);
    deps.metrics.observeAnswer(endpoint, reply.statusCode);
  });

  const readiness = deps.readiness ?? (deps.queue ? [{ name: 'store', check: () => deps.queue!.isReady() }] : []);
  await app.register(healthRoutes, { metrics: deps.metrics, readiness });

  const endpoints: string[] = [];
  if (deps.queue) {
    if (config.kakaoAccountStatus) {
      if (!deps.kakaoKeys) throw new Error('buildApp: kakaoKeys is required when KAKAO_AUDIENCE is set');
      const keys = deps.kakaoKeys;
      app.addHook('onClose', async () => keys.close()); // stops the background JWKS refresh
      await app.register(kakaoAccountStatusRoute, {
        config: config.kakaoAccountStatus,
        bodyLimit: config.http.bodyLimit,
        keys: deps.kakaoKeys,
        queue: deps.queue,
        metrics: deps.metrics,
      });
      endpoints.push(`POST ${KAKAO_ACCOUNT_STATUS_PATH}`);
    }
    if (config.kakaoAdmin) {
      await app.register(kakaoAdminRoutes, {
        config: config.kakaoAdmin,
        bodyLimit: config.http.bodyLimit,
        queue: deps.queue,
        metrics: deps.metrics,
      });
      endpoints.push(...KAKAO_ADMIN_ENDPOINTS);
    }
    if (config.logto) {
      await app.register(logtoRoute, { config: config.logto, queue: deps.queue, metrics: deps.metrics });
      endpoints.push(`POST ${LOGTO_WEBHOOK_PATH}`);
    }
  }
  if (deps.accounts && config.accounts.apiTokens.length > 0) {
    await app.register(accountRoutes, { store: deps.accounts, tokens: config.accounts.apiTokens, retryAfterSeconds: config.queue.retryAfterSeconds });
    endpoints.push(...ACCOUNT_ENDPOINTS);
  }
  if (deps.dashboardQueues && deps.dashboardQueues.length > 0 && config.admin) {
    // Loaded only when configured: Bull Board and its UI cost a process about 25 MB.
    const { adminDashboard } = await import('../admin/dashboard.js');
    await app.register(adminDashboard, { prefix: ADMIN_DASHBOARD_PATH, credentials: config.admin, queues: deps.dashboardQueues });
    endpoints.push(...ADMIN_ENDPOINTS);
  }
  return { app, endpoints };
}
