import type { Logger } from 'pino';
import type { JobQueue } from './backend.js';
import type { ReadQueues } from './read-queues.js';

const PAGE = 500;

/**
 * After a user is purged, removes the failed jobs, and the delayed ones waiting for a retry, that
 * still hold their events (failed jobs are kept for FAILED_JOB_RETENTION_SECONDS, and their data
 * may hold the user's email or name): in the event queue and in every forwarding target's queue,
 * whose jobs hold the same envelope. Only events up to the deletion are removed: nothing older
 * than it can change the account any more, while a later one (a new link) is still worth a retry.
 * The purging event itself is kept: its delivery is how the application learns of the deletion.
 * Completed jobs are not kept at all, and jobs still waiting are removed when they complete.
 * It reads through the process's shared read-only Queues (src/queue/read-queues.ts).
 */
export function createUserJobForgetter(queues: Pick<ReadQueues, 'read'>, queueNames: readonly string[], log: Logger) {
  const inFlight = new Set<Promise<unknown>>();
  return {
    async forget({ provider, userId, deletedAt, eventId }: { provider: string; userId: string; deletedAt: Date; eventId?: string }): Promise<void> {
      const work = (async () => {
        let removed = 0;
        for (const name of queueNames) {
          removed += await queues.read(name, (q) => forgetIn(q, { provider, userId, deletedAt, eventId }));
        }
        if (removed > 0) log.info({ provider, userId, removed }, 'failed and delayed jobs of a purged user removed');
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

async function forgetIn(q: JobQueue, { provider, userId, deletedAt, eventId }: { provider: string; userId: string; deletedAt: Date; eventId?: string }): Promise<number> {
  let removed = 0;
  for (const state of ['failed', 'delayed'] as const) {
    for (let start = 0; ; start += PAGE) {
      const jobs = await q.getJobs([state], start, start + PAGE - 1);
      let removedHere = 0;
      for (const job of jobs) {
        const event = job?.data;
        if (!event || event.provider !== provider || event.subject?.id !== userId || event.id === eventId) continue;
        if (Date.parse(event.occurredAt) > deletedAt.getTime()) continue;
        await job.remove();
        removedHere += 1;
      }
      removed += removedHere;
      if (jobs.length < PAGE) break;
      start -= removedHere; // the list shifted up by what was removed
    }
  }
  return removed;
}
