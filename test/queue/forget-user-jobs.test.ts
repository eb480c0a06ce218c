import { randomUUID } from 'node:crypto';
import type { Worker } from 'bullmq';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebhookEvent } from '../../src/events/envelope.js';
import type { JobQueue, QueueBackend } from '../../src/queue/backend.js';
import { createUserJobForgetter } from '../../src/queue/forget-user-jobs.js';
import { createReadQueues } from '../../src/queue/read-queues.js';
import { BACKENDS } from '../helpers/backends.js';
import { useTestBackend } from '../helpers/receiver.js';
import { waitFor } from '../helpers/wait-for.js';

const log = pino({ level: 'silent' });
const PURGED = 'purged-user';
const DELETED_AT = new Date('2026-03-01T12:00:00.000Z');
const HOUR = 3600_000;
/** Per list: more than two of the forgetter's pages (500 jobs), so it reads each list more than once. */
const JOBS_PER_LIST = 1200;
/** Each time the forgetter reads a list, the workers take this many other users' jobs out of the head of each list... */
const MOVED_OUT = 60;
/** ...and this many new failures (and new delayed retries) of other users come in. */
const MOVED_IN = 20;

function event(id: string, userId: string, occurredAt: Date): WebhookEvent {
  return {
    id,
    provider: 'logto',
    type: 'logto.User.Data.Updated',
    sourceType: 'User.Data.Updated',
    subject: { id: userId },
    occurredAt: occurredAt.toISOString(),
    receivedAt: occurredAt.toISOString(),
    // What a purge is for: personal data in the job.
    data: { email: `${userId}@example.com`, name: userId },
  };
}

/**
 * The purge's promise (src/queue/forget-user-jobs.ts) with other workers at work on the same queue:
 * two real BullMQ workers on a real store keep moving jobs in and out of the failed and delayed
 * lists while the forgetter looks through them. The moves are not left to timing: the store the
 * forgetter is given is the real one, but every list read it makes (getJobs, getRanges) is
 * followed, before its answer comes back, by a round of moves that the workers carry out and that
 * has settled in the store — other users' failed jobs retried and completed, delayed ones come due
 * and completed (all from the head of each list, where a reader by position has already been), and
 * new failures and new delayed retries of other users. A reader that pages by position then starts
 * past jobs it never saw.
 */
describe.each(BACKENDS)('forgetting a purged user\'s jobs on %s while two workers shift the lists', (kind) => {
  const store = useTestBackend(kind);
  const opened: { close(): Promise<unknown> }[] = [];
  let inspect: JobQueue | undefined;

  afterEach(async () => {
    for (const closable of opened.splice(0).reverse()) await closable.close();
    await inspect?.obliterate({ force: true });
    await inspect?.close();
    inspect = undefined;
  });

  it('removes every failed and delayed job of the user up to the deletion, and nothing else', async () => {
    const backend = store().backend;
    const name = `forget-${kind}-${randomUUID().slice(0, 8)}`;
    // A failing job fails for good at once; a delayed job waits an hour (a retry's backoff) unless
    // the test makes it come due. Completed jobs are removed, as the service's are.
    const producer = backend.createQueue(name, { attempts: 1, removeOnComplete: true });
    producer.on('error', () => {});
    inspect = producer;
    const healed = new Set<string>(); // jobs that succeed when they run again
    // What the workers have finished, from their own events: waiting on these asks the store nothing.
    const completed = new Set<string>();
    const failed = new Set<string>();
    let workers: Worker[] = [];
    const startWorkers = () => {
      workers = Array.from({ length: 2 }, () => {
        const worker = backend.createWorker(name, async (job) => {
          if (!healed.has(job.id!)) throw new Error('the handler fails on purpose');
        }, { concurrency: 2 }) as unknown as Worker;
        worker.on('error', () => {});
        worker.on('completed', (job) => void completed.add(job.id!));
        worker.on('failed', (job) => void (job && failed.add(job.id!)));
        void worker.run();
        return worker;
      });
    };
    startWorkers();
    opened.push({ close: () => Promise.all(workers.map((worker) => worker.close())) });
    /**
     * On the embedded store an idle BullMQ worker does not notice new jobs while a delayed job
     * is pending: it sleeps until that job is due (here an hour; bullmq 6.7 caps the wait at
     * 3600 s) and the embedded database's NOTIFY never reaches it. There the workers are
     * replaced by new ones, which start by taking what waits.
     */
    const nudgeWorkers = async () => {
      if (kind !== 'embedded') return;
      await Promise.all(workers.map((worker) => worker.close()));
      startWorkers();
    };

    // The purged user's jobs, about one in six of each list, among other users' jobs: before the
    // deletion (to be removed), the deletion event itself and events after it (to be kept).
    let serial = 0;
    const jobsOf = (list: 'failed' | 'delayed') =>
      Array.from({ length: JOBS_PER_LIST }, (_, i) => {
        const id = `${list}-${(serial += 1)}`;
        if (i % 6 !== 0) return event(id, `user-${i % 97}`, new Date(DELETED_AT.getTime() - (i + 1) * 1000));
        // i = 0, 6, 12, ...: every 25th of the purged user's is after the deletion.
        return event(id, PURGED, new Date(DELETED_AT.getTime() + ((i / 6) % 25 === 12 ? 1 : -1) * (i + 1) * 1000));
      });
    const failedEvents = jobsOf('failed');
    const delayedEvents = jobsOf('delayed');
    const deletion = event('delayed-deletion', PURGED, DELETED_AT); // a retry of the purging event waits too
    delayedEvents.push(deletion);
    /** Adds in batches: one big insert can outlast the embedded store's 1.2 s query timeout on a busy machine. */
    const add = async (events: WebhookEvent[], delay?: number) => {
      for (let i = 0; i < events.length; i += 100) {
        await producer.addBulk(events.slice(i, i + 100).map((e) => ({ name: e.type, data: e, opts: { jobId: e.id, ...(delay ? { delay } : {}) } })));
      }
    };
    // The failing jobs first: once a delayed job is pending, the embedded store's workers sleep (see nudgeWorkers).
    await add(failedEvents);
    await waitFor(() => failedEvents.every((e) => failed.has(e.id)), { what: 'every failing job in the failed list', timeoutMs: 90_000, intervalMs: 100 });
    await add(delayedEvents, HOUR);
    expect(await producer.getJobCounts('failed', 'delayed')).toEqual({ failed: failedEvents.length, delayed: delayedEvents.length });

    /** The jobs, fetched a few at a time: a burst of queries would time out on the embedded store. */
    async function jobsById(ids: string[]) {
      const jobs = [];
      for (let i = 0; i < ids.length; i += 25) jobs.push(...(await Promise.all(ids.slice(i, i + 25).map((id) => producer.getJob(id)))));
      return jobs.filter((job) => job !== undefined);
    }
    const others = new Set([...failedEvents, ...delayedEvents].filter((e) => e.subject?.id !== PURGED).map((e) => e.id));
    const movedOut = new Set<string>();
    let rounds = 0;
    /** One round of the other workers' moves, settled in the store before it returns. */
    async function shift() {
      rounds += 1;
      const out: string[] = [];
      for (const state of ['failed', 'delayed'] as const) {
        // The head of the list, in the order a reader by position pages it (getJobs' default).
        const head = (await jobsById(await producer.getRanges([state], 0, 3 * MOVED_OUT))).filter((job) => job.data.subject?.id !== PURGED).slice(0, MOVED_OUT);
        for (const job of head) {
          healed.add(job.id!);
          out.push(job.id!);
          movedOut.add(job.id!);
          if (state === 'failed') await job.retry('failed');
          else await job.promote();
        }
      }
      const fresh = (prefix: string) => Array.from({ length: MOVED_IN }, (_, i) => event(`${prefix}-${rounds}-${i}`, `user-${i}`, new Date(DELETED_AT.getTime() - HOUR)));
      const newFailures = fresh('new-failure');
      const newDelayed = fresh('new-delayed');
      for (const e of [...newFailures, ...newDelayed]) others.add(e.id);
      await add(newDelayed, HOUR);
      await add(newFailures);
      await nudgeWorkers();
      await waitFor(() => out.every((id) => completed.has(id)) && newFailures.every((e) => failed.has(e.id)), {
        what: 'the workers to complete the moved jobs and fail the new ones',
        timeoutMs: 30_000,
      });
    }

    // The store the forgetter gets: the real one, each of whose list reads is followed by a round.
    const shifting: QueueBackend = {
      kind: backend.kind,
      description: backend.description,
      createQueue(queueName, options, tuning) {
        const queue = backend.createQueue(queueName, options, tuning);
        return new Proxy(queue, {
          get(target, property) {
            const value = Reflect.get(target, property, target) as unknown;
            if (typeof value !== 'function') return value;
            if (property === 'getJobs' || property === 'getRanges') {
              return async (...args: unknown[]) => {
                const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
                await shift();
                return result;
              };
            }
            return (value as (...a: unknown[]) => unknown).bind(target);
          },
        });
      },
      createWorker: (...args) => backend.createWorker(...args),
      confirmStored: (queueName) => backend.confirmStored(queueName),
      forgetDeleted: () => backend.forgetDeleted(),
      ping: () => backend.ping(),
      canWrite: (queueName) => backend.canWrite(queueName),
      accountStates: () => backend.accountStates(),
      close: async () => {},
    };

    const readQueues = createReadQueues(shifting);
    const forgetter = createUserJobForgetter(readQueues, [name], log);
    await forgetter.forget({ provider: 'logto', userId: PURGED, deletedAt: DELETED_AT, eventId: deletion.id });
    await forgetter.close();
    await readQueues.close();
    expect(rounds, 'the lists shifted while the forgetter read them').toBeGreaterThan(0);

    const left = await jobsById(await producer.getRanges(['failed', 'delayed'], 0, -1));
    const leftOf = (user: string) => left.filter((job) => job.data.subject?.id === user);
    const survivors = leftOf(PURGED).filter((job) => job.id !== deletion.id && Date.parse(job.data.occurredAt) <= DELETED_AT.getTime());
    expect(survivors.map((job) => job.id), "the purged user's jobs up to the deletion still kept").toEqual([]);
    // Kept: the deletion event and the events after it; every other user's job the workers did not take away.
    const purgedKept = [...failedEvents, ...delayedEvents].filter((e) => e.subject?.id === PURGED && (e.id === deletion.id || Date.parse(e.occurredAt) > DELETED_AT.getTime()));
    expect(purgedKept.length).toBeGreaterThan(2);
    expect(leftOf(PURGED).map((job) => job.id).sort()).toEqual(purgedKept.map((e) => e.id).sort());
    const othersLeft = left.filter((job) => job.data.subject?.id !== PURGED).map((job) => job.id!);
    expect(othersLeft.sort()).toEqual([...others].filter((id) => !movedOut.has(id)).sort());
  }, 180_000);
});
