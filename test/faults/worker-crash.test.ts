import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { waitFor } from '../helpers/wait-for.js';
import { mixedDeliveries } from './deliveries.js';
import { queueJobs, waitForDrainedQueue, waitForEffects, withoutEffect } from './effects.js';
import { useFaultScene } from './fault-scene.js';
import { acknowledged, burst } from './sender.js';
import { waitUntilReady } from './service-process.js';

/**
 * The worker process dies (SIGKILL) in the middle of its backlog. The jobs it held are still
 * claimed in Redis (BullMQ's job locks), and no other worker may take them until the claim
 * lapses and a stalled-job check moves them back to waiting. WORKER_LOCK_DURATION_MS sets both,
 * short here so the restarted worker takes them up within seconds (about 10 s for the whole
 * test) instead of BullMQ's 30 s claim and 30 s check interval (up to about a minute).
 */
const BACKLOG = 600;
/** The kill comes once this many events have taken effect: well into the backlog, far from its end. */
const KILL_AFTER = 60;
/** Covers BullMQ's defaults too (two 30 s check intervals), should the knob not reach the worker. */
const RECOVERY_BOUND_MS = 75_000;

describe.runIf(BACKENDS.includes('redis'))('the worker killed with SIGKILL in the middle of its backlog', () => {
  const scene = useFaultScene();

  it('leaves its jobs to the restarted worker, which takes every one of them up', { timeout: 90_000 }, async () => {
    const redis = await scene().redis();
    const key = await scene().kakao();
    const env = { ...scene().serviceEnv({ REDIS_URL: redis.url }), WORKER_LOCK_DURATION_MS: '2000' };
    const receiver = await scene().service('receiver', env);
    await waitUntilReady(receiver);
    const deliveries = await mixedDeliveries(key, BACKLOG);

    // The backlog: every event acknowledged while no worker runs.
    const attempts = await burst(deliveries, { baseUrl: () => receiver.baseUrl, concurrency: 16 });
    expect(attempts.filter(acknowledged)).toHaveLength(BACKLOG);
    expect((await queueJobs(receiver.baseUrl)).waiting).toBe(BACKLOG);

    // A worker starts on it and is killed once it is well under way ("account state updated" is
    // logged once per event it has applied).
    const worker = await scene().service('worker', env);
    await waitFor(() => worker.countLogs('account state updated') >= KILL_AFTER, { timeoutMs: 30_000, intervalMs: 5, what: `${KILL_AFTER} events to be processed` });
    await worker.kill();

    // Mid-way: it held jobs when it died, and part of the backlog has not taken effect.
    const left = await queueJobs(receiver.baseUrl);
    expect(left.active, 'jobs the killed worker held').toBeGreaterThan(0);
    expect(left.waiting).toBeGreaterThan(0);
    expect((await withoutEffect(receiver.baseUrl, deliveries)).length).toBeGreaterThan(0);

    // Restarted, the worker takes up the waiting jobs and, once their claims lapse, the dead one's.
    const restarted = await scene().service('worker', env);
    const recoveredBy = Date.now() + RECOVERY_BOUND_MS;
    await waitForEffects(() => receiver.baseUrl, deliveries, RECOVERY_BOUND_MS);
    // Nothing left behind (its jobs included: their effect may have been stored before it died)
    // and nothing given up on (a job that stalls twice fails).
    const jobs = await waitForDrainedQueue(receiver.baseUrl, Math.max(recoveredBy - Date.now(), 5000));
    expect(jobs.failed).toBe(0);
    expect(restarted.child.exitCode).toBeNull();
  });
});
