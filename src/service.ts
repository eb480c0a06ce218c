import type { FastifyInstance } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { StartupError } from './errors.js';
import type { EventOf } from './events/catalog.js';
import { buildApp } from './http/app.js';
import { createHandlerRegistry, type HandlerRegistry } from './handlers/registry.js';
import { registerHandlers as registerDefaultHandlers } from './handlers/index.js';
import { registerBuiltInHandlers } from './handlers/built-in.js';
import type { RegisterHandlers } from './handlers/define-handlers.js';
import { loadHandlerModules } from './handlers/load-modules.js';
import { createUserJobForgetter } from './queue/forget-user-jobs.js';
import { createMetrics } from './metrics.js';
import { registerJwksCollector, registerQueueCollectors } from './observability/collectors.js';
import { createKeyResolver } from './providers/kakao/jwks.js';
import type { QueueBackend } from './queue/backend.js';
import { createBackend } from './queue/create-backend.js';
import { createEventQueue, type EventQueue } from './queue/event-queue.js';
import { createEventWorker } from './queue/event-worker.js';
import { createDeliveryWorkers } from './forwarding/delivery-workers.js';
import { createForwarder, type Forwarder } from './forwarding/forwarder.js';
import { createForwardingMetrics } from './forwarding/metrics.js';
import { forwardQueueName } from './forwarding/queues.js';

export type Role = 'all' | 'receiver' | 'worker';

export interface Service {
  app: FastifyInstance;
  backend: QueueBackend;
  registry?: HandlerRegistry;
  /** Stops taking requests, lets active jobs finish, closes the store. */
  close(): Promise<void>;
}

export interface StartOptions {
  role: Role;
  logger: Logger;
  /**
   * Replaces src/handlers/index.ts (tests and startReceiver register their own handlers); the
   * built-in ones and HANDLERS_MODULE modules still run as configured.
   */
  registerHandlers?: RegisterHandlers;
  /** An already open store, shared with the caller, who closes it (tests). */
  backend?: QueueBackend;
}

/**
 * Wires a process together: the HTTP receiver, the worker, or both. Every process serves
 * /healthz on PORT, so a worker-only container can be health-checked too.
 */
export async function startService(config: Config, options: StartOptions): Promise<Service> {
  const { logger, role } = options;
  if (config.store.kind === 'embedded' && role !== 'all' && !options.backend) {
    // No other process can open the store: a lone receiver would acknowledge events that no
    // worker ever sees, and a lone worker would wait for events that never come.
    throw new StartupError(
      'ERR_ROLE_NEEDS_SHARED_STORE',
      `--role ${role} needs a store other processes can reach: set REDIS_URL or DATABASE_URL, or run --role all with the embedded store`,
    );
  }
  const metrics = createMetrics();
  // Handlers are registered before anything opens: a handler module that fails to load stops
  // start-up with nothing to close, and before the embedded store spends seconds opening.
  let registry: HandlerRegistry | undefined;
  if (role !== 'receiver') {
    registry = createHandlerRegistry({ onHandlerDone: (run) => metrics.observeHandler(run) });
    await (options.registerHandlers ?? registerDefaultHandlers)(registry);
    await loadHandlerModules(config.handlers.modules, registry);
  }
  const kakaoKeys = config.kakaoAccountStatus
    ? createKeyResolver(config.kakaoAccountStatus.jwks, logger.child({ component: 'kakao-jwks' }), {
        onFetch: (outcome) => metrics.jwksFetches.inc({ outcome }),
      })
    : undefined;
  // The JWKS is fetched while the store opens (the embedded store's first start takes seconds).
  const keysWarm = role !== 'worker' ? kakaoKeys?.warmUp() : undefined;
  let backend: QueueBackend;
  try {
    backend =
      options.backend ??
      (await createBackend(config.store, logger.child({ component: 'store' }), {
        // The event worker and one delivery worker per forwarding target (none in a receiver).
        workers: role === 'receiver' ? 0 : 1 + (config.forwarding?.targets.length ?? 0),
      }));
  } catch (error) {
    kakaoKeys?.close();
    throw error;
  }
  let queue: EventQueue | undefined;
  let worker: Worker<EventOf, void, string> | undefined;
  let workerStarted: Promise<void> | undefined;
  let closing = false;
  let app: FastifyInstance | undefined;
  let forgetter: ReturnType<typeof createUserJobForgetter> | undefined;
  let forwarder: Forwarder | undefined;
  let deliveries: ReturnType<typeof createDeliveryWorkers> | undefined;
  let queueCollector: ReturnType<typeof registerQueueCollectors> | undefined;

  /** Closes whatever has been opened: on shutdown, and when start-up fails half-way. */
  async function close() {
    closing = true;
    await app?.close(); // new requests get 503 while in-flight ones finish
    await workerStarted;
    // Both wait for their active jobs; a delivery still in flight after 2 s is abandoned and retried later.
    await Promise.all([worker?.close(), deliveries?.close()]);
    await forwarder?.close();
    await forgetter?.close();
    await queue?.close();
    await queueCollector?.close();
    kakaoKeys?.close();
    if (!options.backend) await backend.close();
  }

  try {

    if (role !== 'worker') {
      queue = createEventQueue({ backend, ...config.queue });
      await keysWarm;
    }
    // Queue depth, oldest waiting job and store up, read at scrape time in every role: the queue is
    // the same whichever process looks, so each reports the store's numbers (Prometheus takes them
    // once, with max; see src/observability/collectors.ts) and they outlive any one process. The
    // JWKS age only where the keys are used.
    queueCollector = registerQueueCollectors(metrics, {
      openQueue: () => backend.createQueue(config.queue.name, {}),
      ping: () => backend.ping(),
    });
    if (kakaoKeys && role !== 'worker') registerJwksCollector(metrics, kakaoKeys);

    // Each forwarding target's queue: shown in the dashboard, and searched when a user is purged.
    const forwardQueueNames = (config.forwarding?.targets ?? []).map((target) => forwardQueueName(config.queue.name, target.name));
    const built = await buildApp(config, {
      logger,
      metrics,
      accounts: backend.accountStates(),
      readiness: [
        // Every role needs to write to its store (a demoted Redis master answers PING but refuses
        // writes); the receiver also needs Kakao's keys to verify anything.
        { name: 'store', check: () => backend.canWrite(config.queue.name) },
        ...(kakaoKeys && role !== 'worker' ? [{ name: 'kakao-jwks', check: () => kakaoKeys.hasKeys() }] : []),
      ],
      ...(queue ? { queue } : {}),
      ...(kakaoKeys ? { kakaoKeys } : {}),
      // The queue dashboard (/admin/queues), in every role: each has the store. Closed with the app.
      ...(config.admin ? { dashboardQueues: [config.queue.name, ...forwardQueueNames].map((name) => backend.createQueue(name, {})) } : {}),
    });

    forgetter = registry ? createUserJobForgetter(backend, [config.queue.name, ...forwardQueueNames], logger.child({ component: 'purge' })) : undefined;
    if (registry && config.forwarding) {
      forwarder = createForwarder({
        backend,
        eventQueueName: config.queue.name,
        config: config.forwarding,
        dedupeWindowSeconds: config.queue.dedupeWindowSeconds,
        failedRetentionSeconds: config.queue.failedRetentionSeconds,
      });
    }
    if (registry && forgetter) {
      registerBuiltInHandlers(registry, { config: config.accounts, store: backend.accountStates(), onPurged: forgetter.forget, ...(forwarder ? { forwarder } : {}) });
      const handlers = registry;
      // BullMQ's PostgreSQL worker never recovers from a failed first connection (bullmq 6.7), so
      // the worker starts once the store has answered; later outages it rides out by itself.
      workerStarted = (async () => {
        for (let waited = 0; !closing && !(await backend.ping()); waited += 1) {
          if (waited === 0) logger.warn({ store: backend.kind }, 'the store does not answer; the worker starts when it does');
          await sleep(1000);
        }
        if (closing) return;
        worker = createEventWorker({
          backend,
          name: config.queue.name,
          registry: handlers,
          log: logger.child({ component: 'worker' }),
          concurrency: config.queue.concurrency,
          lockDurationMs: config.queue.lockDurationMs,
          onHandled: (event, handledAtMs) => metrics.observeHandled(event, handledAtMs),
        });
        worker.on('completed', (job) => metrics.processed.inc({ type: job.name, outcome: 'completed' }));
        worker.on('failed', (job) => metrics.processed.inc({ type: job?.name ?? 'unknown', outcome: 'failed' }));
        void worker.run();
        if (config.forwarding) {
          const forwardingMetrics = createForwardingMetrics(metrics.registry);
          deliveries = createDeliveryWorkers({
            backend,
            eventQueueName: config.queue.name,
            config: config.forwarding,
            log: logger.child({ component: 'forward' }),
            lockDurationMs: config.queue.lockDurationMs,
            onAttempt: (report) => forwardingMetrics.observeAttempt(report),
          });
        }
      })();
    }

    app = built.app;
    const { endpoints } = built;
    await app.listen({ port: config.http.port, host: config.http.host });
    logger.info(
      {
        role,
        store: backend.kind,
        queue: config.queue.name,
        endpoints,
        handled: registry?.handledNames(),
        ...(registry && config.handlers.modules.length > 0 ? { handlerModules: config.handlers.modules } : {}),
      },
      endpoints.length > 0
        ? `webhook endpoints enabled: ${endpoints.join(', ')}`
        : role === 'worker'
          ? 'worker running; HTTP serves /healthz only'
          : 'no webhook endpoint is configured: set KAKAO_AUDIENCE, KAKAO_ADMIN_KEYS or LOGTO_SIGNING_KEYS (see README.md)',
    );
    logger.info(
      { store: backend.kind },
      backend.kind === 'embedded'
        ? `events are stored in ${backend.description}. For production, or to run receivers and workers as separate processes, set REDIS_URL=redis://... (recommended) or DATABASE_URL=postgres://...`
        : `events are stored in ${backend.description}`,
    );
  } catch (error) {
    // E.g. the port is taken: a library caller (startReceiver) must not be left with open
    // connections and timers it cannot reach.
    await close().catch(() => {});
    throw error;
  }

  return { app: app!, backend, registry, close };
}
