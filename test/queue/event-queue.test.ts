import { afterEach, describe, expect, it } from 'vitest';
import type { EventOf } from '../../src/events/catalog.js';
import type { JobQueue } from '../../src/queue/backend.js';
import { createEventQueue, type EventQueue } from '../../src/queue/event-queue.js';
import { BACKENDS } from '../helpers/backends.js';
import { useTestBackend } from '../helpers/receiver.js';
import { testConfig } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

function event(id: string): EventOf {
  const now = new Date().toISOString();
  return { id, provider: 'kakao', type: 'kakao.user-unlinked', sourceType: 'uri', subject: { id }, occurredAt: now, receivedAt: now, data: { n: id } };
}

/** Concurrent enqueues share store round trips; each event must still be stored as its own job. */
describe.each(BACKENDS)('event queue on %s', (kind) => {
  const store = useTestBackend(kind);
  let queue: EventQueue;
  let inspect: JobQueue;

  afterEach(async () => {
    await inspect.obliterate({ force: true }).catch(() => {});
    await inspect.close();
    await queue.close();
  });

  it('stores every event of 300 concurrent enqueues once, redeliveries in the same batch included', async () => {
    const config = testConfig(store().env);
    queue = createEventQueue({ backend: store().backend, ...config.queue });
    inspect = store().backend.createQueue(config.queue.name, {});
    const ids = Array.from({ length: 250 }, (_, i) => `e-${i}`);
    // 250 single-event enqueues, 25 two-event ones, and 25 redeliveries of ids already asked for.
    await Promise.all([
      ...ids.map((id) => queue.enqueue([event(id)])),
      ...Array.from({ length: 25 }, (_, i) => queue.enqueue([event(`pair-${i}-a`), event(`pair-${i}-b`)])),
      ...ids.slice(0, 25).map((id) => queue.enqueue([event(id)])),
    ]);
    const jobs = await inspect.getJobs(['waiting'], 0, -1);
    const stored = jobs.map((job) => job.id).sort();
    const expected = [...ids, ...Array.from({ length: 25 }, (_, i) => [`pair-${i}-a`, `pair-${i}-b`]).flat()].sort();
    expect(stored).toEqual(expected);
    for (const job of jobs) expect(job.data).toEqual(expect.objectContaining({ id: job.id, data: { n: job.id } }));
  });

  it('refuses every request of a batch the store has not confirmed within QUEUE_TIMEOUT_MS, and stores again once it does', async () => {
    const config = testConfig({ ...store().env, QUEUE_TIMEOUT_MS: '300' });
    // The real store, except that confirming a batch (Redis: WAIT for replicas) never answers.
    let confirming = false;
    const real = store().backend;
    const backend = Object.assign(Object.create(real) as typeof real, {
      confirmStored: (name: string) => (confirming ? real.confirmStored(name) : new Promise<void>(() => {})),
    });
    queue = createEventQueue({ backend, ...config.queue });
    inspect = real.createQueue(config.queue.name, {});
    const started = Date.now();
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => queue.enqueue([event(`late-${i}`)])));
    expect(outcomes.map((outcome) => (outcome.status === 'rejected' ? (outcome.reason as { code: string }).code : 'stored'))).toEqual(Array(20).fill('ERR_QUEUE_UNAVAILABLE'));
    expect(Date.now() - started).toBeLessThan(10_000); // bounded, not hung (300 ms here)
    confirming = true;
    // As a sender would, retry until stored: the first store after a failure opens a new queue,
    // which can take longer than this test's short time limit on a loaded machine.
    await waitFor(() => queue.enqueue([event('on-time')]).then(() => true, () => false), { what: 'a stored retry', timeoutMs: 15_000 });
    expect((await inspect.getJob('on-time'))?.id).toBe('on-time');
  });
});
