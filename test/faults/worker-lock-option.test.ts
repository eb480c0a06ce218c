import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Worker } from 'bullmq';
import { createHandlerRegistry } from '../../src/handlers/registry.js';
import { createEventWorker } from '../../src/queue/event-worker.js';
import { BACKENDS } from '../helpers/backends.js';
import { useTestBackend } from '../helpers/receiver.js';
import { uniqueQueueName } from './service-process.js';

/**
 * lockDurationMs (WORKER_LOCK_DURATION_MS) reaches BullMQ's Worker on every store as its
 * lockDuration and stalledInterval; worker-crash.test.ts shows what it is for.
 */
describe.each(BACKENDS)('event worker lock duration on %s', (kind) => {
  const store = useTestBackend(kind);
  let worker: Worker | undefined;
  afterEach(async () => {
    await worker?.close();
    worker = undefined;
  });

  const start = (lockDurationMs?: number) =>
    (worker = createEventWorker({
      backend: store().backend,
      name: uniqueQueueName(),
      registry: createHandlerRegistry(),
      log: pino({ level: 'silent' }),
      concurrency: 3,
      ...(lockDurationMs === undefined ? {} : { lockDurationMs }),
    }) as unknown as Worker);

  it('sets both from lockDurationMs, keeping the concurrency', () => {
    expect(start(2000).opts).toMatchObject({ lockDuration: 2000, stalledInterval: 2000, lockRenewTime: 1000, concurrency: 3 });
  });

  it("keeps BullMQ's defaults without it", () => {
    expect(start().opts).toMatchObject({ lockDuration: 30_000, stalledInterval: 30_000, concurrency: 3 });
  });
});
