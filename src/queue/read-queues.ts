import type { JobQueue, QueueBackend } from './backend.js';

/**
 * The process's read-only BullMQ Queues, one per queue name, shared by whoever only reads jobs
 * (or removes them): the queue collectors, the purge job-remover, the dashboard. Each Queue is
 * opened on first use; on PostgreSQL each holds a pool, so one per name rather than one per user.
 * Closed once, after every user.
 */
export interface ReadQueues {
  /**
   * Runs `read` on the Queue for `name`. Until a read of that name has succeeded, a failed one
   * replaces the Queue: BullMQ's PostgreSQL Queue keeps a failed first connection forever
   * (bullmq 6.7), as src/queue/event-queue.ts explains.
   */
  read<T>(name: string, read: (queue: JobQueue) => Promise<T>): Promise<T>;
  /** The Queue for `name`, for a user that keeps it (the dashboard): never closed before close(). */
  hold(name: string): JobQueue;
  close(): Promise<void>;
}

export function createReadQueues(backend: QueueBackend): ReadQueues {
  const current = new Map<string, { queue: JobQueue; answered: boolean }>();
  const held = new Set<JobQueue>();
  const retired: JobQueue[] = [];
  const entry = (name: string) => {
    let found = current.get(name);
    if (!found) {
      const queue = backend.createQueue(name, {});
      queue.on('error', () => {}); // each user reports its own failures
      found = { queue, answered: false };
      current.set(name, found);
    }
    return found;
  };
  return {
    async read(name, read) {
      const found = entry(name);
      const { queue } = found;
      try {
        const result = await read(queue);
        found.answered = true;
        return result;
      } catch (error) {
        if (!found.answered && current.get(name)?.queue === queue) {
          current.delete(name);
          if (held.has(queue)) retired.push(queue);
          else void queue.close().catch(() => {});
        }
        throw error;
      }
    },
    hold(name) {
      const { queue } = entry(name);
      held.add(queue);
      return queue;
    },
    async close() {
      const queues = new Set([...[...current.values()].map(({ queue }) => queue), ...held, ...retired]);
      current.clear();
      await Promise.allSettled([...queues].map((queue) => queue.close()));
    },
  };
}
