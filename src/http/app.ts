import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { ReadinessCheck, Routes } from '../composition/component.js';
import type { Config } from '../config/config.js';
import { unavailable, type ErrorCode } from '../errors.js';
import { MAX_USER_ID_LENGTH } from '../accounts/model.js';
import { sendError } from '../error-response.js';
import { sendFrameworkError } from './framework-errors.js';
import type { Metrics } from '../metrics.js';
import { healthRoutes } from './health-routes.js';
import { requestIdOf, serializeRequest } from './request-id.js';
import { OneLinePerRequest } from './request-log.js';

export interface AppDeps {
  logger: Logger;
  metrics: Metrics;
  /** What /readyz checks: the store answers, Kakao's keys are in, ... None: always ready. */
  readiness?: readonly ReadinessCheck[];
  /** The components' route plugins (webhooks, account API, dashboard), registered in this order. */
  routes?: readonly Routes[];
}

export interface App {
  app: FastifyInstance;
  /** "METHOD path" of every webhook and account endpoint this app serves, for the start-up log. */
  endpoints: string[];
}

/** 503s a stranger can provoke at will: they say nothing about whether the endpoint works. */
const CAUSED_BY_ANYONE: ReadonlySet<ErrorCode> = new Set(['ERR_JWKS_UNKNOWN_KID', 'ERR_TOO_MANY_IN_FLIGHT']);

/** Requests one connection may have in flight at once ("a few": no sender we know pipelines). */
export const MAX_IN_FLIGHT_PER_SOCKET = 8;

/** Builds the HTTP app from the components' routes; never listens (src/http/components.ts does). */
export async function buildApp(config: Config, deps: AppDeps): Promise<App> {
  const app = Fastify({
    loggerInstance: deps.logger.child({}, { serializers: { req: serializeRequest } }) as FastifyBaseLogger,
    // Every log line of a request carries `reqId`: the caller's X-Request-Id when well-formed.
    requestIdHeader: false,
    genReqId: requestIdOf,
    logController: new OneLinePerRequest(),
    // Behind a load balancer: keep-alive longer than its idle timeout, bounded request time.
    keepAliveTimeout: 72_000,
    // A request, headers included, must arrive within HTTP_REQUEST_TIMEOUT_MS: Node's own limit
    // on headers is 60 s, and it looks for expired requests every 30 s, so a client sending a
    // large body slowly could hold its buffer for over a minute. Checked every second here.
    requestTimeout: config.http.requestTimeoutMs,
    http: { headersTimeout: config.http.requestTimeoutMs, connectionsCheckingInterval: 1000 },
    bodyLimit: config.http.bodyLimit,
    // Replaced by the hooks below, which also send Retry-After and close the connection.
    return503OnClosing: false,
    // The longest path parameter is a user id: Fastify's default of 100 refused ids the account
    // API accepts. Longer ones, and malformed URLs, are answered in framework-errors.ts.
    routerOptions: { maxParamLength: MAX_USER_ID_LENGTH },
    frameworkErrors: sendFrameworkError,
  });
  // Every connection may hold a body up to the largest body limit until the request timeout:
  // their number bounds that memory.
  capConnections(app.server, config.http.maxConnections);
  app.setErrorHandler((error, request, reply) => sendError(request, reply, error));
  // Declared up front so every request object has the same shape (Fastify's advice for speed).
  app.decorateRequest('outcome', null);
  app.decorateRequest('failure', null);
  // While closing, a request that still arrives on a kept-alive connection gets a 503 that tells
  // the sender to retry (and load balancers to drain). Every answer then closes its connection:
  // Node closes only the connections idle when close() starts, and a busy keep-alive one would
  // otherwise hold the shutdown until its keep-alive timeout.
  // The hooks that run on every request take a callback rather than returning a promise: each
  // async hook costs the request a promise and a turn of the microtask queue.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // Requests in flight per connection. HTTP/1.1 lets a client pipeline requests without reading
  // the answers: each answer then waits in memory until the ones before it are read, so one
  // connection could make the process hold thousands. Past the limit the request is answered 503
  // with Connection: close; a client that goes on regardless loses the connection.
  const inFlight = new WeakMap<object, number>();
  app.addHook('onRequest', (request, reply, done) => {
    if (closing) return done(unavailable('ERR_SHUTTING_DOWN', 'shutting down', config.queue.retryAfterSeconds));
    const socket = request.raw.socket;
    const count = (inFlight.get(socket) ?? 0) + 1;
    inFlight.set(socket, count);
    reply.raw.once('close', () => inFlight.set(socket, (inFlight.get(socket) ?? 1) - 1));
    if (count > MAX_IN_FLIGHT_PER_SOCKET * 2) {
      // It ignored Connection: close: drop it, and this request with it, without a word (a log
      // line per pipelined request would let one client fill the log).
      socket.destroy();
      reply.hijack();
      return done();
    }
    if (count > MAX_IN_FLIGHT_PER_SOCKET) {
      reply.header('connection', 'close');
      return done(unavailable('ERR_TOO_MANY_IN_FLIGHT', `more than ${MAX_IN_FLIGHT_PER_SOCKET} requests in flight on one connection`, 1));
    }
    done();
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const endpoint = request.routeOptions.url;
    if (endpoint?.startsWith('/webhooks/')) {
      deps.metrics.requests.inc({ endpoint, status: String(reply.statusCode) });
      deps.metrics.ackSeconds.observe({ endpoint }, reply.elapsedTime / 1000);
      // A 503 that anyone can cause does not move the endpoint's last-failure time, which the
      // "answering 5xx" alerts follow; one with a made-up kid is counted apart.
      if (request.failure === 'ERR_JWKS_UNKNOWN_KID') deps.metrics.unknownKid.inc({ endpoint });
      if (!request.failure || !CAUSED_BY_ANYONE.has(request.failure)) deps.metrics.observeAnswer(endpoint, reply.statusCode);
    }
    done();
  });

  await app.register(healthRoutes, {
    metrics: deps.metrics,
    readiness: deps.readiness ?? [],
    metricsCacheMs: config.metrics.cacheMs,
    // With METRICS_PORT, /metrics is served there only (src/http/metrics-server.ts).
    serveMetrics: config.metrics.port === undefined,
  });
  for (const routes of deps.routes ?? []) await app.register(routes.plugin);
  const endpoints = (deps.routes ?? []).flatMap((routes) => routes.endpoints);
  return { app, endpoints };
}

/**
 * Holds at most `max` connections. A connection that arrives at the cap makes room by closing
 * those idle between requests (kept alive, no request in flight; their clients reconnect when
 * they next send); it is closed itself only when none is idle. Node's own `maxConnections` would
 * refuse it instead: connections that sent one request and then sat idle for the 72 s keep-alive
 * would shut out every sender until they timed out.
 */
function capConnections(server: Server, max: number): void {
  const open = new Set<Socket>();
  // Runs after Node's HTTP listener, so the newcomer is known to the server: a connection that
  // has sent nothing yet is not idle, and closeIdleConnections() leaves it alone.
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    if (open.size <= max) return;
    server.closeIdleConnections();
    // Closed connections are destroyed at once but announce 'close' later: count them out now.
    for (const other of open) if (other.destroyed) open.delete(other);
    if (open.size > max) {
      open.delete(socket);
      socket.destroy();
    }
  });
}
