import type { DefaultJobOptions, Processor, Queue, Worker, WorkerOptions } from 'bullmq';
import type { EventOf } from '../events/catalog.js';
import type { WebhookEvent } from '../events/envelope.js';
import type { AccountStateStore } from '../accounts/store.js';

/**
 * Where events are stored: Redis, PostgreSQL, or PostgreSQL embedded in this process (PGlite).
 * All three are BullMQ backends, so jobs, ids, retries and retention behave the same; a backend
 * only knows how to build BullMQ's queue and worker for its store.
 */
export type BackendKind = 'redis' | 'postgres' | 'embedded';

/**
 * BullMQ's Queue. Its class is the same for every backend; only its type parameters name the
 * backend, so the PostgreSQL one is cast to this type.
 */
export type JobQueue = Queue<WebhookEvent, unknown, string>;

export type EventProcessor = Processor<EventOf, void, string>;

/** BullMQ worker settings that a backend passes to its Worker unchanged. */
export type WorkerTuning = Pick<WorkerOptions, 'lockDuration' | 'stalledInterval' | 'settings'> & {
  concurrency: number;
  /** PostgreSQL: the most pooled connections this worker opens (its LISTEN connection aside); default 4. */
  connections?: number;
};

/**
 * WORKER_LOCK_DURATION_MS as BullMQ takes it: the claim lasts this long, and lapsed claims are
 * looked for as often. Unset: BullMQ's defaults.
 */
export function lockTuning(lockDurationMs: number | undefined): Pick<WorkerTuning, 'lockDuration' | 'stalledInterval'> {
  return lockDurationMs === undefined ? {} : { lockDuration: lockDurationMs, stalledInterval: lockDurationMs };
}

/** How a queue is used, where the store has a say. */
export interface QueueTuning {
  /** PostgreSQL: the most pooled connections this queue opens; default 4. Idle ones close after 10 s. */
  connections?: number;
}

export interface QueueBackend {
  readonly kind: BackendKind;
  /** Where events go, for the start-up log; never holds a password. */
  readonly description: string;
  createQueue(name: string, defaultJobOptions: DefaultJobOptions, tuning?: QueueTuning): JobQueue;
  createWorker(name: string, processor: EventProcessor, tuning: WorkerTuning): Worker<EventOf, void, string>;
  /**
   * Resolves once what this process stored in `queueName` so far survives the loss of the
   * store's primary, as far as the store is configured to promise it (Redis: on
   * REDIS_WAIT_REPLICAS replicas); rejects otherwise. PostgreSQL commits are durable already.
   */
  confirmStored(queueName: string): Promise<void>;
  /** True when the store answers within the request budget. */
  ping(): Promise<boolean>;
  /**
   * True when an event stored in `queueName` now would be kept: the store answers and takes
   * writes (not a demoted Redis master, a cluster with every slot covered, enough replicas).
   */
  canWrite(queueName: string): Promise<boolean>;
  /**
   * After a purge: makes the store's own files let go of what was deleted, where this process can
   * (the embedded store: VACUUM, a new WAL segment, CHECKPOINT; see embedded-forget.ts). Redis
   * and PostgreSQL keep deleted values in their logs and backups on the operator's terms: the
   * README's "Where data outlives a purge" says where and for how long.
   */
  forgetDeleted(): Promise<void>;
  /** The account state in this store (one instance per backend; closed with it). */
  accountStates(): AccountStateStore;
  close(): Promise<void>;
}

/**
 * PostgreSQL refused a value itself (SQLSTATE class 22, data exception: 22P05 and 22021 for a
 * NUL, 22P02 for invalid JSON text, 22001 for a string too long): the same value would be refused
 * again, so it is the input's fault (a 4xx, a job not retried), never an outage. Values are made
 * storable before they are stored (src/events/storable.ts); this is for what that does not foresee.
 */
export function isDataException(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
}

/** A password in a URL, as userinfo or as a libpq query parameter, never reaches a log line. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const name of ['password', 'sslpassword']) if (parsed.searchParams.has(name)) parsed.searchParams.set(name, '***');
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
