import type { Job } from 'bullmq';
import type { WebhookEvent } from '../events/envelope.js';
import type { JobQueue } from '../queue/backend.js';

/**
 * The dead-letter operations over BullMQ's failed set, the same on every store: list, show,
 * retry, retry all, purge. Knows nothing of the command line.
 *
 * The failed set is ordered by failure time (`finishedOn`) on every backend: a Redis sorted set
 * scored by it, a `finished_at_ms` column in PostgreSQL and the embedded store.
 */

type EventJob = Job<WebhookEvent, unknown, string>;

/** One line of `failed list`. */
export interface FailedJobSummary {
  id: string;
  type: string;
  provider: string | null;
  subjectId: string | null;
  attemptsMade: number;
  failedReason: string;
  /** ISO 8601, when the job failed for good. */
  failedAt: string | null;
}

/** Everything `failed show` prints about one job. */
export interface FailedJobDetail extends FailedJobSummary {
  state: string;
  /** The attempts the job was allowed (JOB_ATTEMPTS when it was queued). */
  maxAttempts: number;
  stacktrace: string[];
  /** ISO 8601: when the job was queued, when its last attempt started, when it failed. */
  timestamps: { createdAt: string | null; processedAt: string | null; failedAt: string | null };
  /** The stored event envelope, exactly as the worker receives it. */
  event: WebhookEvent;
}

/** An id no job has: exit 1. */
export class JobNotFoundError extends Error {
  constructor(readonly jobId: string) {
    super(`no job with id ${jobId}`);
    this.name = 'JobNotFoundError';
  }
}

/** The job exists but is not a dead letter (waiting, active, delayed...): exit 1. */
export class JobNotFailedError extends Error {
  constructor(
    readonly jobId: string,
    readonly state: string,
  ) {
    super(`job ${jobId} is not failed (its state is ${state})`);
    this.name = 'JobNotFailedError';
  }
}

export interface RetryAllProgress {
  /** Jobs handled so far: moved back to waiting, or skipped. */
  done: number;
  retried: number;
  /** Jobs gone or no longer failed by the time their turn came (another operator, retention). */
  skipped: number;
  total: number;
}

export interface RetryAllResult {
  retried: number;
  skipped: number;
  total: number;
}

/** Jobs read (and retried concurrently) per round trip. */
export const PAGE_SIZE = 100;
/** Jobs removed per `clean` call: a statement that stays well inside the store's query timeout. */
const PURGE_BATCH = 500;

/**
 * A retried dead letter starts over with a fresh set of attempts (JOB_ATTEMPTS, with backoff):
 * the handlers see attempt 1 again, not attempt 9 of 8, and a still-flaky downstream gets the
 * retries it would have had the first time.
 */
const RETRY_OPTIONS = { resetAttemptsMade: true, resetAttemptsStarted: true };

const iso = (ms: number | null | undefined): string | null => (ms ? new Date(ms).toISOString() : null);

function summaryOf(job: EventJob): FailedJobSummary {
  const event = job.data as Partial<WebhookEvent> | undefined;
  return {
    id: String(job.id),
    type: job.name,
    provider: event?.provider ?? null,
    subjectId: event?.subject?.id ?? null,
    attemptsMade: job.attemptsMade,
    failedReason: job.failedReason ?? '',
    failedAt: iso(job.finishedOn),
  };
}

export function failedJobs(queue: JobQueue) {
  const present = (jobs: (EventJob | undefined)[]) => jobs.filter((job): job is EventJob => Boolean(job));

  async function failedJob(id: string): Promise<EventJob> {
    const job = await queue.getJob(id);
    if (!job) throw new JobNotFoundError(id);
    const state = await job.getState();
    if (state !== 'failed') throw new JobNotFailedError(id, state);
    return job;
  }

  /**
   * Moves one failed job back to waiting. True if it was moved, false if it is gone or no longer
   * failed (someone else retried or removed it first); any other error (the store) is thrown.
   */
  async function retryOne(job: EventJob): Promise<boolean> {
    try {
      await job.retry('failed', RETRY_OPTIONS);
      return true;
    } catch (error) {
      if ((await queue.getJobState(String(job.id))) !== 'failed') return false;
      throw error;
    }
  }

  return {
    count(): Promise<number> {
      return queue.getFailedCount();
    },

    /** The newest `limit` dead letters, by failure time. */
    async list(limit: number): Promise<FailedJobSummary[]> {
      const jobs = await queue.getJobs(['failed'], 0, limit - 1, false);
      return present(jobs).map(summaryOf);
    },

    async show(id: string): Promise<FailedJobDetail> {
      const job = await failedJob(id);
      return {
        ...summaryOf(job),
        state: 'failed',
        maxAttempts: job.opts.attempts ?? 1,
        stacktrace: job.stacktrace ?? [],
        timestamps: { createdAt: iso(job.timestamp), processedAt: iso(job.processedOn), failedAt: iso(job.finishedOn) },
        event: job.data,
      };
    },

    /**
     * Back to waiting: the worker runs the handlers again on the stored envelope, which was
     * verified when it arrived; nothing is verified again.
     */
    async retry(id: string): Promise<void> {
      const job = await failedJob(id);
      if (!(await retryOne(job))) {
        const state = await queue.getJobState(id);
        if (state === 'unknown') throw new JobNotFoundError(id);
        throw new JobNotFailedError(id, state);
      }
    },

    /**
     * Every job that was failed when the call began, oldest first, PAGE_SIZE at a time.
     *
     * The ids are read first, in one query, so each job is visited once: a retried job that fails
     * again while this runs (the handler is still broken) re-enters the failed set, and paging
     * through the live set would meet it again and never end. Ids are small (a thousand are ~50
     * KB); the jobs, which carry the events, are read a page at a time.
     */
    async retryAll(onProgress: (progress: RetryAllProgress) => void = () => {}): Promise<RetryAllResult> {
      const ids = (await queue.getRanges(['failed'], 0, -1, true)) as string[];
      const unique = [...new Set(ids)];
      const total = unique.length;
      let retried = 0;
      let skipped = 0;
      for (let start = 0; start < total; start += PAGE_SIZE) {
        const page = unique.slice(start, start + PAGE_SIZE);
        const outcomes = await Promise.all(
          page.map(async (id) => {
            const job = await queue.getJob(id);
            return job ? retryOne(job) : false;
          }),
        );
        for (const moved of outcomes) {
          if (moved) retried += 1;
          else skipped += 1;
        }
        onProgress({ done: retried + skipped, retried, skipped, total });
      }
      return { retried, skipped, total };
    },

    /** How many jobs failed at or before `cutoff` (for the confirmation question). */
    async countFailedBefore(cutoff: number): Promise<number> {
      let count = 0;
      for (let start = 0; ; start += PAGE_SIZE) {
        const jobs = await queue.getJobs(['failed'], start, start + PAGE_SIZE - 1, true);
        for (const job of present(jobs)) {
          if ((job.finishedOn ?? 0) > cutoff) return count;
          count += 1;
        }
        if (jobs.length < PAGE_SIZE) return count;
      }
    },

    /** Removes every job that failed at or before `cutoff` (epoch ms); returns how many. */
    async purge(cutoff: number): Promise<number> {
      let removed = 0;
      for (;;) {
        // clean() measures age from its own Date.now(); keep the cutoff fixed across batches.
        const grace = Math.max(0, Date.now() - cutoff);
        const ids = await queue.clean(grace, PURGE_BATCH, 'failed');
        removed += ids.length;
        if (ids.length < PURGE_BATCH) return removed;
      }
    },
  };
}

export type FailedJobs = ReturnType<typeof failedJobs>;
