import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { mixedDeliveries } from './deliveries.js';
import { waitForDrainedQueue, waitForEffects } from './effects.js';
import { useFaultScene } from './fault-scene.js';
import { acknowledged, burst, resendUntilAcknowledged } from './sender.js';
import { waitUntilReady } from './service-process.js';

/**
 * The embedded store lives inside the service's process (PGlite in DATA_DIR), so killing the
 * process kills the store mid-write, while it receives a burst and works through it. Restarted on
 * the same directory, the service must take over the dead process's lock and process every event
 * it acknowledged, which the account API must show.
 */
const BURST = 400;
/** The kill comes once this many events are acknowledged (the worker is then well behind). */
const KILL_AFTER = 150;
/**
 * The dead process's lock on DATA_DIR is taken over once it is stale (10 s unrenewed, see
 * src/queue/backends/data-dir-lock.ts), then PGlite recovers its write-ahead log.
 */
const RESTART_BOUND_MS = 30_000;
/**
 * The jobs the dead process was running stay claimed until their claim lapses (see
 * worker-crash.test.ts): seconds with WORKER_LOCK_DURATION_MS=2000, about 60 s with BullMQ's
 * defaults, which this bound still covers.
 */
const RECOVERY_BOUND_MS = 70_000;

describe.runIf(BACKENDS.includes('embedded'))("the embedded store's process killed with SIGKILL during a burst", () => {
  const scene = useFaultScene();

  it('processes every event it acknowledged once restarted on the same data directory', { timeout: 90_000 }, async () => {
    const key = await scene().kakao();
    const env = { ...scene().serviceEnv({ DATA_DIR: join(scene().tempDir('embedded'), 'data') }), WORKER_LOCK_DURATION_MS: '2000' };
    let service = await scene().service('all', env);
    await waitUntilReady(service);
    const deliveries = await mixedDeliveries(key, BURST);

    let killed: Promise<void> | undefined;
    const attempts = await burst(deliveries, {
      baseUrl: () => service.baseUrl,
      onAttempt: (_attempt, all) => {
        if (!killed && all.filter(acknowledged).length >= KILL_AFTER) killed = service.kill();
      },
    });
    await killed;
    const acknowledgedBeforeKill = attempts.filter(acknowledged).map((attempt) => attempt.delivery);
    // Killed mid-burst: events were acknowledged, and later ones found nobody listening (status 0).
    expect(acknowledgedBeforeKill.length).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(acknowledgedBeforeKill.length).toBeLessThan(BURST);
    for (const attempt of attempts) expect([0, 200, 202]).toContain(attempt.status);

    const restartedAt = performance.now();
    service = await scene().service('all', env);
    await waitUntilReady(service);
    expect(performance.now() - restartedAt).toBeLessThan(RESTART_BOUND_MS);
    const recoveredBy = Date.now() + RECOVERY_BOUND_MS;

    // Every acknowledged event takes effect after the restart, without being sent again.
    await waitForEffects(() => service.baseUrl, acknowledgedBeforeKill, recoveredBy - Date.now());
    // The rest is sent again, as a sender does after a dropped connection, and takes effect too.
    await resendUntilAcknowledged(service.baseUrl, attempts.filter((attempt) => !acknowledged(attempt)).map((attempt) => attempt.delivery));
    await waitForEffects(() => service.baseUrl, deliveries, Math.max(recoveredBy - Date.now(), 10_000));
    // Nothing left behind (the dead process's jobs included) and nothing given up on.
    const jobs = await waitForDrainedQueue(service.baseUrl, Math.max(recoveredBy - Date.now(), 10_000));
    expect(jobs.failed).toBe(0);
  });
});
