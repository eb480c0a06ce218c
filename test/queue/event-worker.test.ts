import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Worker } from 'bullmq';
import type { Config } from '../../src/config/config.js';
import type { EventOf } from '../../src/events/catalog.js';
import { PermanentError } from '../../src/errors.js';
import { createHandlerRegistry, type HandlerRegistry } from '../../src/handlers/registry.js';
import type { JobQueue } from '../../src/queue/backend.js';
import { createEventQueue, type EventQueue } from '../../src/queue/event-queue.js';
import { createEventWorker } from '../../src/queue/event-worker.js';
import { BACKENDS } from '../helpers/backends.js';
import { useTestBackend } from '../helpers/receiver.js';
import { testConfig } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

const log = pino({ level: 'silent' });

function event(id: string): EventOf {
  const now = new Date().toISOString();
  return { id, provider: 'kakao', type: 'kakao.user-unlinked', sourceType: 'uri', subject: { id: '1' }, occurredAt: now, receivedAt: now, data: {} };
}

/** The worker adapter against each real store: retries, backoff, permanent failures, retention. */
describe.each(BACKENDS)('event worker on %s', (kind) => {
  const store = useTestBackend(kind);
  let config: Config;
  let queue: EventQueue;
  let worker: Worker;
  let inspect: JobQueue;

  async function start(registry: HandlerRegistry, env: Record<string, string> = {}, queueOptions: { clockSkewSeconds?: number } = {}) {
    config = testConfig({ ...store().env, ...env });
    queue = createEventQueue({ backend: store().backend, ...config.queue, ...queueOptions });
    worker = createEventWorker({ backend: store().backend, name: config.queue.name, registry, log, concurrency: 2 }) as unknown as Worker;
    void worker.run();
    inspect = store().backend.createQueue(config.queue.name, {});
  }

  afterEach(async () => {
    await worker.close();
    await queue.close();
    await inspect.obliterate({ force: true });
    await inspect.close();
  });

  it('retries a failing handler with exponential backoff until it succeeds', async () => {
    const registry = createHandlerRegistry();
    const attempts: { attempt: number; at: number }[] = [];
    registry.on('kakao.user-unlinked', (_event, { attempt }) => {
      attempts.push({ attempt, at: Date.now() });
      if (attempt < 3) throw new Error('downstream not ready');
    });
    await start(registry, { JOB_ATTEMPTS: '5', JOB_BACKOFF_MS: '100' });
    await queue.enqueue([event('kakao-retry-1')]);
    await waitFor(() => attempts.length === 3, { what: 'the third attempt' });
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    const firstGap = attempts[1]!.at - attempts[0]!.at;
    const secondGap = attempts[2]!.at - attempts[1]!.at;
    expect(firstGap).toBeGreaterThanOrEqual(90); // 100 ms
    expect(secondGap).toBeGreaterThanOrEqual(190); // 200 ms: exponential
  });

  it('gives up after the configured attempts and keeps the failed job for inspection', async () => {
    const registry = createHandlerRegistry();
    let calls = 0;
    registry.on('kakao.user-unlinked', () => {
      calls += 1;
      throw new Error('always broken');
    });
    await start(registry, { JOB_ATTEMPTS: '2', JOB_BACKOFF_MS: '10' });
    await queue.enqueue([event('kakao-fail-1')]);
    await waitFor(async () => (await inspect.getFailedCount()) === 1, { what: 'the job to fail' });
    expect(calls).toBe(2);
    const [failed] = await inspect.getFailed();
    expect(failed!.failedReason).toContain('always broken');
    expect(failed!.data.id).toBe('kakao-fail-1');
    expect(failed!.opts.removeOnFail).toEqual({ age: config.queue.failedRetentionSeconds });
  });

  it('sends a job straight to failed when the handler throws PermanentError', async () => {
    const registry = createHandlerRegistry();
    let calls = 0;
    registry.on('kakao.user-unlinked', () => {
      calls += 1;
      throw new PermanentError('this user can never be processed');
    });
    await start(registry, { JOB_ATTEMPTS: '5', JOB_BACKOFF_MS: '10' });
    await queue.enqueue([event('kakao-permanent-1')]);
    await waitFor(async () => (await inspect.getFailedCount()) === 1, { what: 'the job to fail' });
    expect(calls).toBe(1);
  });

  it('removes a completed job at once, yet a redelivery inside the dedupe window is still a duplicate', async () => {
    const registry = createHandlerRegistry();
    let calls = 0;
    registry.on('kakao.user-unlinked', () => void (calls += 1));
    await start(registry);
    await queue.enqueue([event('kakao-dedupe-1')]);
    await waitFor(() => calls === 1, { what: 'the handler' });
    // The job and its data are gone (they may hold personal data); only the dedupe key remains.
    await waitFor(async () => (await inspect.getJob('kakao-dedupe-1')) === undefined, { what: 'the job to be removed' });
    expect(await inspect.getCompletedCount()).toBe(0);
    await queue.enqueue([event('kakao-dedupe-1')]);
    await queue.enqueue([event('kakao-dedupe-2')]);
    await waitFor(() => calls === 2, { what: 'the second event' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(calls).toBe(2);
  });

  it('forgets the dedupe key after the window: a later delivery of the same id runs again', async () => {
    const registry = createHandlerRegistry();
    let calls = 0;
    registry.on('kakao.user-unlinked', () => void (calls += 1));
    // The key lives the window + the accepted clock skew + 1 s (test/queue/dedupe-skew.test.ts);
    // with no skew, 2 s here.
    await start(registry, { DEDUPE_WINDOW_SECONDS: '1', LOGTO_MAX_AGE_SECONDS: '1' }, { clockSkewSeconds: 0 });
    await queue.enqueue([event('kakao-dedupe-window-1')]);
    await waitFor(() => calls === 1, { what: 'the handler' });
    await new Promise((resolve) => setTimeout(resolve, 2200));
    await queue.enqueue([event('kakao-dedupe-window-1')]);
    await waitFor(() => calls === 2, { what: 'the delivery after the window' });
  });
});
