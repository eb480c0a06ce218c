import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import type { WebhookEvent } from '../events/envelope.js';
import type { JobQueue } from './backend.js';
import type { ReadQueues } from './read-queues.js';

/**
 * After a user is purged, removes the failed jobs, and the delayed ones waiting for a retry, that
 * still hold their events (failed jobs are kept for FAILED_JOB_RETENTION_SECONDS, and their data
 * may hold the user's email or name): in the event queue and in every forwarding target's queue,
 * whose jobs hold the same envelope. Only events up to the deletion are removed: nothing older
 * than it can change the account any more, while a later one (a new link) is still worth a retry.
 * The purging event itself is kept: its delivery is how the application learns of the deletion.
 * Completed jobs are not kept at all, and jobs still waiting are removed when they complete.
 * It reads through the process's shared read-only Queues (src/queue/read-queues.ts). Then
 * `forgetDeleted` (the store's QueueBackend.forgetDeleted) makes the store's files let go of the
 * deleted values, where the store allows.
 */
export function createUserJobForgetter(
  queues: Pick<ReadQueues, 'read'>,
  queueNames: readonly string[],
  log: Logger,
  forgetDeleted: () => Promise<void> = async () => {},
) {
  const inFlight = new Set<Promise<unknown>>();
  return {
    async forget({ provider, userId, deletedAt, eventId }: { provider: string; userId: string; deletedAt: Date; eventId?: string }): Promise<void> {
      const work = (async () => {
        let removed = 0;
        for (const name of queueNames) {
          removed += await queues.read(name, (q) => forgetIn(q, { provider, userId, deletedAt, eventId }));
        }
        if (removed > 0) log.info({ provider, userId, removed }, 'failed and delayed jobs of a purged user removed');
        await forgetDeleted();
      })();
      inFlight.add(work);
      try {
        await work;
      } finally {
        inFlight.delete(work);
      }
    },
    /** Waits for the purges under way. */
    async close() {
      await Promise.allSettled([...inFlight]);
    },
  };
}

export type UserJobForgetter = ReturnType<typeof createUserJobForgetter>;

/**
 * Jobs fetched at once while their ids are looked through. Small: on PostgreSQL the fetches queue
 * for the queue's one connection, and the embedded store runs every query of the process one
 * after another, where a query still queued after 1.2 s fails.
 */
const BATCH = 50;
/**
 * Most passes over the lists: a pass that removed something is followed by another, for the jobs
 * that were being run (so in no list) while the previous one looked.
 */
const MAX_PASSES = 5;
const SEARCHED = ['failed', 'delayed'] as const;

type Purge = { provider: string; userId: string; deletedAt: Date; eventId?: string };

/**
 * Other workers move jobs in and out of the failed and delayed lists all the time (failures,
 * retries falling due, retries by hand, retention), so the lists are not paged by position: a
 * page read after jobs ahead of it left the list starts past jobs never looked at. Each pass reads
 * the ids of both lists whole first (ids only, a few dozen bytes a job, in one call: one script on
 * Redis, one query per list on PostgreSQL), so every job in them at that moment is looked at
 * however the lists shift afterwards; then it fetches those jobs by id, a few at a time, and
 * removes the purged user's. Passes repeat while one removes something, for the user's jobs that
 * were running (in no list) when the ids were read.
 */
async function forgetIn(q: JobQueue, purge: Purge): Promise<number> {
  let removed = 0;
  for (let pass = 0; pass < MAX_PASSES; pass += 1) {
    const ids = await q.getRanges([...SEARCHED], 0, -1);
    let removedHere = 0;
    for (let start = 0; start < ids.length; start += BATCH) {
      const jobs = await Promise.all(ids.slice(start, start + BATCH).map((id) => q.getJob(id)));
      for (const job of jobs) {
        if (!job || !belongsToPurge(job.data, purge)) continue;
        if (await removeIfKept(q, job)) removedHere += 1;
      }
    }
    removed += removedHere;
    if (removedHere === 0) break;
  }
  return removed;
}

function belongsToPurge(event: WebhookEvent | undefined, { provider, userId, deletedAt, eventId }: Purge): boolean {
  if (!event || event.provider !== provider || event.subject?.id !== userId || event.id === eventId) return false;
  return Date.parse(event.occurredAt) <= deletedAt.getTime();
}

/**
 * Removes `job` if it is still failed or delayed: one that has moved on since its id was read
 * (retried, running) is left to complete, and one already gone is no error. A job that stays
 * failed or delayed and cannot be removed fails the purge, so its event is retried.
 */
async function removeIfKept(q: JobQueue, job: Job<WebhookEvent, unknown, string>): Promise<boolean> {
  const state = await job.getState();
  if (state !== 'failed' && state !== 'delayed') return false;
  try {
    await job.remove();
    return true;
  } catch (error) {
    // BullMQ's PostgreSQL backend reports a job that is already gone as locked.
    if ((await q.getJobState(job.id!)) === 'unknown') return false;
    throw error;
  }
}
