import { setTimeout as sleep } from 'node:timers/promises';
import type { Worker } from 'bullmq';
import type { Logger } from 'pino';
import { ALL_ROLES, RECEIVER_ROLES, WORKER_ROLES, type Component } from '../composition/component.js';
import { StartupError } from '../errors.js';
import type { EventOf } from '../events/catalog.js';
import { forwardQueueName } from '../forwarding/queues.js';
import type { QueueBackend } from './backend.js';
import { createBackend } from './create-backend.js';
import { createEventQueue, type EventQueue } from './event-queue.js';
import { createEventWorker } from './event-worker.js';
import { createUserJobForgetter, type UserJobForgetter } from './forget-user-jobs.js';
import { createReadQueues, type ReadQueues } from './read-queues.js';

declare module '../composition/component.js' {
  interface Services {
    /** The store: given by the caller (then the caller closes it), or opened by the store component. */
    backend: QueueBackend;
    /** Resolves true once the store has answered, false when the service closes first. */
    storeAnswered: () => Promise<boolean>;
    queues: ReadQueues;
    /** The receiver's side of the event queue. */
    eventQueue: EventQueue;
    forgetter: UserJobForgetter;
  }
}

/** The event queue and each forwarding target's queue: shown in the dashboard, searched when a user is purged. */
export function queueNames(config: { queue: { name: string }; forwarding?: { targets: readonly { name: string }[] } }): string[] {
  return [config.queue.name, ...(config.forwarding?.targets ?? []).map((target) => forwardQueueName(config.queue.name, target.name))];
}

/** The store (Redis, PostgreSQL or embedded), and its readiness check. Closed last. */
export const storeComponent: Component = {
  name: 'store',
  roles: ALL_ROLES,
  check({ config, role, find }) {
    if (config.store.kind === 'embedded' && role !== 'all' && !find('backend')) {
      // No other process can open the store: a lone receiver would acknowledge events that no
      // worker ever sees, and a lone worker would wait for events that never come.
      throw new StartupError(
        'ERR_ROLE_NEEDS_SHARED_STORE',
        `--role ${role} needs a store other processes can reach: set REDIS_URL or DATABASE_URL, or run --role all with the embedded store`,
      );
    }
  },
  async start({ config, role, logger, closing, find }) {
    const given = find('backend');
    const backend =
      given ??
      (await createBackend(config.store, logger.child({ component: 'store' }), {
        // The event worker and one delivery worker per forwarding target (none in a receiver).
        workers: role === 'receiver' ? 0 : 1 + (config.forwarding?.targets.length ?? 0),
      }));
    let answered: Promise<boolean> | undefined;
    return {
      provides: { backend, storeAnswered: () => (answered ??= waitForStore(backend, logger, closing)) },
      // Every role needs to write to its store (a demoted Redis master answers PING but refuses writes).
      readiness: [{ name: 'store', check: () => backend.canWrite(config.queue.name) }],
      close: given ? undefined : () => backend.close(),
    };
  },
};

/**
 * BullMQ's PostgreSQL worker never recovers from a failed first connection (bullmq 6.7), so the
 * workers start once the store has answered; later outages they ride out by themselves.
 */
async function waitForStore(backend: QueueBackend, logger: Logger, closing: AbortSignal): Promise<boolean> {
  for (let waited = 0; !closing.aborted && !(await backend.ping()); waited += 1) {
    if (waited === 0) logger.warn({ store: backend.kind }, 'the store does not answer; the worker starts when it does');
    await sleep(1000);
  }
  return !closing.aborted;
}

/** The read-only Queues shared by the collectors, the purge and the dashboard; closed after them. */
export const readQueuesComponent: Component = {
  name: 'read-queues',
  roles: ALL_ROLES,
  start({ use }) {
    const queues = createReadQueues(use('backend'));
    return { provides: { queues }, close: () => queues.close() };
  },
};

/** The receiver's enqueueing side. */
export const eventQueueComponent: Component = {
  name: 'event-queue',
  roles: RECEIVER_ROLES,
  start({ config, use }) {
    const eventQueue = createEventQueue({ backend: use('backend'), ...config.queue });
    return { provides: { eventQueue }, close: () => eventQueue.close() };
  },
};

/** Removes a purged user's failed and delayed jobs, then lets the store forget them (src/queue/forget-user-jobs.ts). */
export const purgeComponent: Component = {
  name: 'purge',
  roles: WORKER_ROLES,
  start({ config, logger, use }) {
    const backend = use('backend');
    const forgetter = createUserJobForgetter(use('queues'), queueNames(config), logger.child({ component: 'purge' }), () => backend.forgetDeleted());
    return { provides: { forgetter }, close: () => forgetter.close() };
  },
};

/** Runs the handlers; starts once the store answers. Closing lets its active jobs finish. */
export const eventWorkerComponent: Component = {
  name: 'event-worker',
  roles: WORKER_ROLES,
  start({ config, logger, metrics, use }) {
    const backend = use('backend');
    const registry = use('registry');
    let worker: Worker<EventOf, void, string> | undefined;
    const started = (async () => {
      if (!(await use('storeAnswered')())) return;
      worker = createEventWorker({
        backend,
        name: config.queue.name,
        registry,
        log: logger.child({ component: 'worker' }),
        concurrency: config.queue.concurrency,
        lockDurationMs: config.queue.lockDurationMs,
        onHandled: (event, handledAtMs) => metrics.observeHandled(event, handledAtMs),
      });
      worker.on('completed', (job) => metrics.processed.inc({ type: job.name, outcome: 'completed' }));
      worker.on('failed', (job) => metrics.processed.inc({ type: job?.name ?? 'unknown', outcome: 'failed' }));
      void worker.run();
    })();
    return {
      async close() {
        await started;
        await worker?.close();
      },
    };
  },
};
