import type { WebhookEvent } from '../events/envelope.js';
import { toStorable } from '../events/storable.js';
import { rejected, unavailable } from '../errors.js';
import { within } from '../timeout.js';
import { createAddBatcher } from './add-batcher.js';
import { isDataException, type JobQueue, type QueueBackend } from './backend.js';

export interface EventQueueOptions {
  backend: QueueBackend;
  name: string;
  dedupeWindowSeconds: number;
  /**
   * How far in the future a provider accepts an event's signed time (MAX_CLOCK_SKEW_SECONDS). An
   * event signed that far ahead is accepted until window + skew after it arrived (at that second
   * included), so its dedupe key is kept a second longer: a replay at the end is still recognised.
   */
  clockSkewSeconds: number;
  failedRetentionSeconds: number;
  attempts: number;
  backoffMs: number;
  /** Longest enqueue() may take before it gives up with a 503. */
  timeoutMs: number;
  retryAfterSeconds: number;
}

/**
 * For senders that give no delivery id: events with the same key inside `ttlSeconds` of the first
 * make no job, whatever their event id. Unlike the job id, the key is forgotten after the window,
 * so a genuine repeat of the event later is queued again.
 */
export interface DedupeWindow {
  key: string;
  ttlSeconds: number;
}

/** The receiver's side of the queue: durable enqueue, deduplicated by event id. */
export interface EventQueue {
  /**
   * Resolves once every event is stored; rejects with ERR_QUEUE_UNAVAILABLE otherwise.
   * `dedupe` applies to every event of the call; pass one event when you use it.
   */
  enqueue(events: readonly WebhookEvent[], dedupe?: DedupeWindow): Promise<void>;
  /** True when the queue's store answers. */
  isReady(): Promise<boolean>;
  close(): Promise<void>;
}

export function createEventQueue(options: EventQueueOptions): EventQueue {
  const { backend } = options;
  const defaultJobOptions = {
    attempts: options.attempts,
    backoff: { type: 'exponential', delay: options.backoffMs },
    // A completed job is removed at once: its data may hold a user's email or name, which must
    // be gone when the user is purged. Redeliveries are recognised by a deduplication key that
    // holds only the job id (BullMQ's throttle mode), kept for the dedupe window.
    removeOnComplete: true,
    removeOnFail: { age: options.failedRetentionSeconds },
  };
  const open = () => {
    const queue = backend.createQueue(options.name, defaultJobOptions);
    queue.on('error', () => {}); // surfaced through enqueue(); the backend logs its connection
    return queue;
  };
  let queue: JobQueue = open();
  // BullMQ's PostgreSQL queue caches a failed first connection forever (measured with bullmq
  // 6.7): until one add has succeeded, a failure replaces the queue so a later retry can succeed.
  let everStored = false;

  // Concurrent requests share one round trip to the store; each still waits for its own jobs.
  // A batch counts as stored once the store confirms it would survive losing its primary (on
  // Redis with REDIS_WAIT_REPLICAS: one WAIT per batch, on the connection the batch went through).
  // The time limit is per batch, not per request: one timer for every request the batch holds.
  const confirmed = (stored: Promise<unknown>) =>
    within(options.timeoutMs, stored.then(() => backend.confirmStored(options.name)), () => {
      throw new Error(`no answer from the queue within ${options.timeoutMs} ms`);
    });
  const store = createAddBatcher<WebhookEvent>({
    add: (job) => confirmed(queue.add(job.name, job.data, job.opts)),
    addBulk: (jobs) => confirmed(queue.addBulk(jobs)),
    maxJobs: 500,
    isolate: isDataException,
  });
  const add = (events: readonly WebhookEvent[], dedupe?: DedupeWindow): Promise<void> =>
    store(
      events.map((event) => ({
        name: event.type,
        // A NUL or a lone surrogate anywhere in the event becomes U+FFFD (events/storable.ts).
        data: toStorable(event),
        opts: {
          jobId: event.id,
          // BullMQ's throttle-mode deduplication: the key is kept for the ttl, then forgotten,
          // whether the job is still waiting, done or failed. Without a window of its own, an
          // event is a duplicate of any event with its id inside the dedupe window.
          deduplication: dedupe
            ? { id: dedupe.key, ttl: dedupe.ttlSeconds * 1000 }
            : { id: event.id, ttl: (options.dedupeWindowSeconds + options.clockSkewSeconds + 1) * 1000 },
        },
      })),
    );

  return {
    async enqueue(events, dedupe) {
      if (events.length === 0) return;
      try {
        await add(events, dedupe);
        everStored = true;
      } catch (error) {
        if (isDataException(error)) {
          // The store refused a value of this event: the same request would be refused again.
          throw rejected('ERR_PAYLOAD_INVALID', 'the store cannot hold a value of this event', error);
        }
        if (!everStored) {
          const broken = queue;
          queue = open();
          void broken.close().catch(() => {});
        }
        // A late success is harmless: the sender retries and the job id deduplicates.
        throw unavailable('ERR_QUEUE_UNAVAILABLE', 'the event queue is unavailable', options.retryAfterSeconds, error);
      }
    },
    isReady() {
      return within(options.timeoutMs, backend.canWrite(options.name), () => false);
    },
    async close() {
      await queue.close();
    },
  };
}
