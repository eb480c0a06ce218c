import type { FastifyInstance } from 'fastify';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { buildApp } from './http/app.js';
import { createHandlerRegistry, type HandlerRegistry } from './handlers/registry.js';
import { registerHandlers as registerDefaultHandlers } from './handlers/index.js';
import { createRedisAccountStore } from './handlers/built-in/account-store.js';
import { createMetrics } from './metrics.js';
import { createKeyResolver } from './providers/kakao/jwks.js';
import { createEventQueue, type EventQueue } from './queue/event-queue.js';
import { createEventWorker } from './queue/event-worker.js';
import { createRedisConnection } from './queue/redis-connection.js';

export type Role = 'all' | 'receiver' | 'worker';

export interface Service {
  app: FastifyInstance;
  worker?: Worker;
  registry?: HandlerRegistry;
  /** Stops taking requests, lets active jobs finish, closes connections. */
  close(): Promise<void>;
}

export interface StartOptions {
  role: Role;
  logger: Logger;
  /** Replaces src/handlers/index.ts (tests register their own handlers). */
  registerHandlers?: typeof registerDefaultHandlers;
}

/**
 * Wires a process together: the HTTP receiver, the worker, or both. Every process serves
 * /healthz on PORT, so a worker-only container can be health-checked too.
 */
export async function startService(config: Config, options: StartOptions): Promise<Service> {
  const { logger, role } = options;
  const metrics = createMetrics();
  const connections: Redis[] = [];
  let queue: EventQueue | undefined;
  let worker: Worker | undefined;
  let registry: HandlerRegistry | undefined;
  const endpoints: string[] = [];

  const kakaoKeys = config.kakaoAccountStatus
    ? createKeyResolver(config.kakaoAccountStatus.jwks, logger.child({ component: 'kakao-jwks' }))
    : undefined;

  if (role !== 'worker') {
    const producer = createRedisConnection(config.redis.url, 'producer', logger);
    connections.push(producer);
    queue = createEventQueue({ connection: producer, ...config.queue });
    if (kakaoKeys) await kakaoKeys.warmUp();
  }

  const { app, endpoints: served } = await buildApp(config, {
    logger,
    metrics,
    ...(queue ? { queue } : {}),
    ...(kakaoKeys ? { kakaoKeys } : {}),
  });
  endpoints.push(...served);

  if (role !== 'receiver') {
    const connection = createRedisConnection(config.redis.url, 'worker', logger);
    connections.push(connection);
    registry = createHandlerRegistry();
    (options.registerHandlers ?? registerDefaultHandlers)(registry, { accounts: createRedisAccountStore(connection) });
    worker = createEventWorker({
      connection,
      name: config.queue.name,
      registry,
      log: logger.child({ component: 'worker' }),
      concurrency: config.queue.concurrency,
    });
    worker.on('completed', (job) => metrics.processed.inc({ type: job.name, outcome: 'completed' }));
    worker.on('failed', (job) => metrics.processed.inc({ type: job?.name ?? 'unknown', outcome: 'failed' }));
    void worker.run();
  }

  await app.listen({ port: config.http.port, host: config.http.host });
  logger.info(
    { role, queue: config.queue.name, endpoints, handled: registry?.handledNames() },
    endpoints.length > 0
      ? `webhook endpoints enabled: ${endpoints.join(', ')}`
      : role === 'worker'
        ? 'worker running; HTTP serves /healthz only'
        : 'no webhook endpoint is configured: set KAKAO_AUDIENCE and/or LOGTO_SIGNING_KEYS (see README.md)',
  );

  return {
    app,
    worker,
    registry,
    async close() {
      await app.close(); // new requests get 503 while in-flight ones finish
      await worker?.close(); // waits for active jobs
      await queue?.close();
      await Promise.allSettled(connections.map((connection) => connection.quit()));
    },
  };
}
