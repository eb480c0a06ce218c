import type { Logger } from 'pino';
import type { JobQueue, QueueBackend } from './backend.js';

const PAGE = 500;

/**
 * After a user is purged, removes the failed jobs, and the delayed ones waiting for a retry, that
 * still hold their events (failed jobs are kept for FAILED_JOB_RETENTION_SECONDS, and their data
 * may hold the user's email or name): in the event queue and in every forwarding target's queue,
 * whose jobs hold the same envelope. Only events up to the deletion are removed: nothing older
 * than it can change the account any more, while a later one (a new link) is still worth a retry.
 * The purging event itself is kept: its delivery is how the application learns of the deletion.
 * Completed jobs are not kept at all, and jobs still waiting are removed when they complete.
 */
export function createUserJobForgetter(backend: QueueBackend, queueNames: readonly string[], log: Logger) {
  const queues = new Map<string, JobQueue>();
  const open = (name: string) => {
    let queue = queues.get(name);
    if (!queue) {
      queue = backend.createQueue(name, {});
      queue.on('error', () => {});
      queues.set(name, queue);
    }
    return queue;
  };
  return {
    async forget({ provider, userId, deletedAt, eventId }: { provider: string; userId: string; deletedAt: Date; eventId?: string }): Promise<void> {
      let removed = 0;
      for (const name of queueNames) {
        const q = open(name);
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
      }
      if (removed > 0) log.info({ provider, userId, removed }, 'failed and delayed jobs of a purged user removed');
    },
    async close() {
      await Promise.all([...queues.values()].map((queue) => queue.close()));
    },
  };
}
