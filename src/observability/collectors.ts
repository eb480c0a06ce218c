import { Gauge } from 'prom-client';
import type { Metrics } from '../metrics.js';
import type { JobQueue } from '../queue/backend.js';
import { within } from '../timeout.js';

/** The job states exported as webhook_queue_jobs{state}. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

/** What the queue collectors read; one snapshot per scrape. */
export interface QueueSnapshot {
  counts: Record<QueueState, number>;
  /** Epoch ms of the oldest waiting job, undefined when none waits. */
  oldestWaitingAt: number | undefined;
}

export interface QueueCollectorOptions {
  /** Runs a read on the event queue's read-only Queue (ReadQueues.read, src/queue/read-queues.ts). */
  read: <T>(read: (queue: JobQueue) => Promise<T>) => Promise<T>;
  /** True when the store answers (QueueBackend.ping). */
  ping: () => Promise<boolean>;
  /** Longest a scrape waits on the store; at most 500 ms. */
  timeoutMs?: number;
  now?: () => number;
}

export interface QueueCollector {
  /** Stops reading; waits a little for a read under way (the Queue is the shared one, closed after). */
  close(): Promise<void>;
}

const TIMED_OUT = Symbol('timed out');
const ABANDON_AFTER_MS = 5000;

/**
 * Registers the gauges read from the store at scrape time, so nothing polls the store between
 * scrapes (on PostgreSQL the counts are a scan of the queue's jobs):
 * - webhook_queue_jobs{state}: jobs by state;
 * - webhook_queue_oldest_waiting_seconds: age of the oldest waiting job, 0 when none waits;
 * - webhook_store_up: 1 when the store answers a ping within the timeout, else 0.
 * The first two describe the store: every process on it (receivers and workers alike) reports the
 * same numbers, so they are there whichever processes are down (a backlog while every worker is
 * down is still reported, by the receivers). Prometheus takes them once with
 * `max without (instance, pod) (...)`, never a sum over processes (README.md, Metrics; the
 * queue rules of deploy/prometheus/alerts.yml). webhook_store_up is this process's own view.
 * A scrape never waits on the store longer than `timeoutMs`: when the counts do not come in time
 * (or fail), the queue gauges keep their last value and webhook_metrics_collect_errors_total goes
 * up. At most one read is in flight, so scrapes of a hanging store do not pile queries up.
 */
export function registerQueueCollectors(metrics: Metrics, options: QueueCollectorOptions): QueueCollector {
  const timeoutMs = Math.min(options.timeoutMs ?? 500, 500);
  const now = options.now ?? Date.now;
  let reading: Promise<QueueSnapshot> | undefined;
  let readingSince = 0;
  let scrape: Promise<QueueSnapshot | undefined> | undefined;
  let closed = false;

  const read = (): Promise<QueueSnapshot> =>
    options.read(async (queue) => {
      const raw = await queue.getJobCounts(...QUEUE_STATES);
      const counts = Object.fromEntries(QUEUE_STATES.map((state) => [state, Number(raw[state] ?? 0)])) as Record<QueueState, number>;
      return { counts, oldestWaitingAt: await oldestWaitingTimestamp(queue, counts.waiting) };
    });

  /** One store read per scrape, shared by the gauges; undefined when it failed or took too long. */
  function scrapeOnce(): Promise<QueueSnapshot | undefined> {
    if (scrape) return scrape;
    // prom-client calls every gauge's collect() in one synchronous pass: the gauges of this scrape
    // share this read. It is forgotten once settled, so the next scrape, however soon, reads again.
    scrape = (async () => {
      try {
        // A read that never settles (a store that swallows packets) is abandoned after a while,
        // so the gauges recover once the store does.
        if (reading && Date.now() - readingSince > ABANDON_AFTER_MS) reading = undefined;
        if (!reading) {
          readingSince = Date.now();
          const current: Promise<QueueSnapshot> = read().finally(() => {
            if (reading === current) reading = undefined;
          });
          reading = current;
        }
        const result = await within<QueueSnapshot | typeof TIMED_OUT>(timeoutMs, reading, () => TIMED_OUT);
        if (result === TIMED_OUT) throw new Error(`no answer from the store within ${timeoutMs} ms`);
        return result;
      } catch {
        metrics.collectErrors.inc();
        return undefined;
      }
    })();
    const current = scrape;
    void current.finally(() => {
      if (scrape === current) scrape = undefined;
    });
    return current;
  }

  new Gauge({
    name: 'webhook_queue_jobs',
    help: 'Jobs in the event queue by state, read from the store at scrape time. Store-wide: every process on the store reports the same counts, so aggregate with max without (instance, pod), never sum. completed stays about 0: completed jobs are removed at once',
    labelNames: ['state'] as const,
    registers: [metrics.registry],
    async collect() {
      if (closed) return;
      const snapshot = await scrapeOnce();
      if (snapshot) for (const state of QUEUE_STATES) this.set({ state }, snapshot.counts[state]);
    },
  });
  new Gauge({
    name: 'webhook_queue_oldest_waiting_seconds',
    help: 'Age of the oldest waiting job (since it was first enqueued; a retried job counts from its first enqueue), 0 when none waits; read from the store at scrape time. Store-wide: every process on the store reports the same age, so aggregate with max without (instance, pod)',
    registers: [metrics.registry],
    async collect() {
      if (closed) return;
      const snapshot = await scrapeOnce();
      if (snapshot) this.set(snapshot.oldestWaitingAt === undefined ? 0 : Math.max(0, (now() - snapshot.oldestWaitingAt) / 1000));
    },
  });
  new Gauge({
    name: 'webhook_store_up',
    help: 'Whether the store answers this process a ping within the scrape timeout (1) or not (0), read at scrape time',
    registers: [metrics.registry],
    async collect() {
      if (closed) return;
      // A Redis connection opened by the first scrape waits for its connection inside ping().
      this.set((await within(timeoutMs, options.ping().catch(() => false), () => false)) ? 1 : 0);
    },
  });
  // No series until the store has answered once: a made-up 0 would read as "failed jobs grew"
  // when the real count comes in.

  return {
    async close() {
      closed = true;
      if (reading) await within(timeoutMs, reading.catch(() => undefined), () => undefined);
    },
  };
}

/**
 * The enqueue time of the oldest waiting job. Where getWaiting(0, 0) looks depends on the store in
 * bullmq 6.7: on Redis it is the oldest waiting job, on PostgreSQL (and the embedded store) the
 * newest (test/metrics/queue-collectors.test.ts shows both). So both ends of the waiting list are
 * read, and the older one wins, whichever order a BullMQ version uses.
 */
async function oldestWaitingTimestamp(queue: JobQueue, waiting: number): Promise<number | undefined> {
  if (waiting <= 0) return undefined;
  const ends = await Promise.all([queue.getWaiting(0, 0), waiting > 1 ? queue.getWaiting(waiting - 1, waiting - 1) : Promise.resolve([])]);
  const timestamps = ends.flat().flatMap((job) => (job && Number.isFinite(job.timestamp) ? [job.timestamp] : []));
  return timestamps.length > 0 ? Math.min(...timestamps) : undefined;
}

/** The age of the Kakao key set in use: webhook_jwks_age_seconds. */
export function registerJwksCollector(metrics: Metrics, keys: { lastFetchedAt(): number | undefined }, now: () => number = Date.now): void {
  const since = now();
  new Gauge({
    name: 'webhook_jwks_age_seconds',
    help: "Seconds since Kakao's key set in use was fetched; before the first successful fetch, seconds since start-up",
    registers: [metrics.registry],
    collect() {
      this.set(Math.max(0, (now() - (keys.lastFetchedAt() ?? since)) / 1000));
    },
  });
}
