import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { openQueueFromEnv } from '../../src/cli/store.js';
import { PermanentError } from '../../src/errors.js';
import { BACKENDS, openTestBackend, type TestBackend } from '../helpers/backends.js';
import { useTestBackend } from '../helpers/receiver.js';
import { waitFor } from '../helpers/wait-for.js';
import { cliFixture, event, runCliProcess, type CliFixture } from './cli-helpers.js';

describe.runIf(BACKENDS.includes('redis'))('the CLI process against Redis', () => {
  const store = useTestBackend('redis');
  let fx: CliFixture;
  afterEach(async () => {
    await fx?.close();
  });

  it('npx tsx src/cli/main.ts failed list --json prints the failed jobs and exits 0', async () => {
    fx = cliFixture(store());
    fx.handler.run = () => {
      throw new PermanentError('never');
    };
    fx.startWorker();
    await fx.queue.enqueue([event('process-1'), event('process-2')]);
    await waitFor(async () => (await fx.inspect.getFailedCount()) === 2, { what: 'two failed jobs' });

    const run = await runCliProcess(['failed', 'list', '--json'], { REDIS_URL: store().env.REDIS_URL!, QUEUE_NAME: fx.config.queue.name });
    expect(run.code, run.stderr).toBe(0);
    const listed = JSON.parse(run.stdout) as { id: string; failedReason: string }[];
    expect(listed.map((job) => job.id).sort()).toEqual(['process-1', 'process-2']);
    expect(listed[0]!.failedReason).toBe('never');
  }, 30_000);
});

describe('the CLI against a store that does not answer', () => {
  it('exits 1 by itself, saying so, instead of waiting forever on reconnects', async () => {
    const started = Date.now();
    const run = await runCliProcess(['failed', 'list'], { REDIS_URL: 'redis://127.0.0.1:1' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/does not answer/);
    expect(Date.now() - started).toBeLessThan(25_000);
  }, 30_000);
});

describe('the CLI against the embedded store', () => {
  let holder: TestBackend | undefined;
  afterEach(async () => {
    await holder?.close();
    holder = undefined;
  });

  it('works on the data directory once the service has stopped, and releases it', async () => {
    const service = await openTestBackend('embedded');
    const dataDir = service.env.DATA_DIR!;
    try {
      const fx = cliFixture(service);
      fx.handler.run = () => {
        throw new PermanentError('never');
      };
      fx.startWorker();
      await fx.queue.enqueue([event('stopped-1')]);
      await waitFor(async () => (await fx.inspect.getFailedCount()) === 1, { what: 'the job to fail' });
      await fx.stopWorker();
      await fx.queue.close();
      await fx.inspect.close();
      await service.backend.close(); // the service stops and releases the lock; the data stays

      const env = { DATA_DIR: dataDir, QUEUE_NAME: fx.config.queue.name };
      const openQueue = () => openQueueFromEnv(env);
      const list = await fx.cli(['failed', 'list', '--json'], { openQueue });
      expect(list.code, list.stderr).toBe(0);
      expect((JSON.parse(list.stdout) as { id: string }[]).map((job) => job.id)).toEqual(['stopped-1']);
      const retry = await fx.cli(['failed', 'retry', 'stopped-1'], { openQueue });
      expect(retry.code, retry.stderr).toBe(0);
      // Each run closed the store and released the lock, or this open would be refused.
      const reopened = await openQueueFromEnv(env);
      try {
        expect(await reopened.queue.getJobState('stopped-1')).toBe('waiting');
      } finally {
        await reopened.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('exits 1 at once, naming the process that holds the data directory', async () => {
    holder = await openTestBackend('embedded'); // this test process plays the running service
    // What starting the CLI costs on this machine right now (npx, tsx, imports), store untouched.
    let started = Date.now();
    expect((await runCliProcess(['failed', 'list', '--help'], {})).code).toBe(0);
    const startup = Date.now() - started;
    started = Date.now();
    const run = await runCliProcess(['failed', 'list'], { DATA_DIR: holder.env.DATA_DIR! });
    const elapsed = Date.now() - started;
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`error: ${holder.env.DATA_DIR} is in use by process ${process.pid} on `);
    expect(run.stderr).toContain('Only one process may use the embedded store: stop the other one');
    // No wait for the lock to go stale first, which lockDataDir does for ~12 s.
    expect(elapsed - startup, `startup ${startup} ms, refusal ${elapsed} ms`).toBeLessThan(5_000);
  }, 60_000);
});
