import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors.js';
import { openQueueFromEnv } from '../../src/cli/store.js';
import { BACKENDS, TEST_DATABASE_URL } from '../helpers/backends.js';
import { useTestBackend } from '../helpers/receiver.js';
import { waitFor } from '../helpers/wait-for.js';
import { cliFixture, event, type CliFixture } from './cli-helpers.js';

/** `npm run cli -- failed ...` run in-process against each real store. */
describe.each(BACKENDS)('failed jobs from the command line on %s', (kind) => {
  const store = useTestBackend(kind);
  let fx: CliFixture;

  afterEach(async () => {
    await fx?.close();
  });

  /** Fixture whose handler fails permanently, with the worker running. */
  function start(env: Record<string, string> = {}) {
    fx = cliFixture(store(), { JOB_ATTEMPTS: '3', JOB_BACKOFF_MS: '10', ...env });
    fx.handler.run = (received) => {
      throw new PermanentError(`cannot process ${received.id}`);
    };
    fx.startWorker();
    return fx;
  }

  /** Enqueues each event and waits until it has failed, one after the other (distinct failure times). */
  async function failOneByOne(ids: string[]) {
    for (const id of ids) {
      const before = await fx.inspect.getFailedCount();
      await fx.queue.enqueue([event(id, `user-${id}`)]);
      await waitFor(async () => (await fx.inspect.getFailedCount()) === before + 1, { what: `${id} to fail` });
      await sleep(5);
    }
  }

  it('lists failed jobs newest failure first, as a table or JSON, up to --limit', async () => {
    start();
    await failOneByOne(['job-a', 'job-b', 'job-c']);
    // job-a fails again after a retry: newest by failure time, though the oldest job.
    expect((await fx.cli(['failed', 'retry', 'job-a'])).code).toBe(0);
    await waitFor(async () => (await fx.inspect.getJob('job-a'))?.finishedOn, { what: 'job-a to fail again' });
    await waitFor(async () => (await fx.inspect.getFailedCount()) === 3, { what: 'three failed jobs' });

    const json = await fx.cli(['failed', 'list', '--json']);
    expect(json.code).toBe(0);
    const listed = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(listed.map((job) => job.id)).toEqual(['job-a', 'job-c', 'job-b']);
    expect(listed[1]).toEqual({
      id: 'job-c',
      type: 'kakao.user-unlinked',
      provider: 'kakao',
      subjectId: 'user-job-c',
      attemptsMade: 1,
      failedReason: 'cannot process job-c',
      failedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });

    const limited = await fx.cli(['failed', 'list', '--json', '--limit', '2']);
    expect((JSON.parse(limited.stdout) as { id: string }[]).map((job) => job.id)).toEqual(['job-a', 'job-c']);

    const text = await fx.cli(['failed', 'list', '--limit', '2']);
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+TYPE\s+SUBJECT\s+ATTEMPTS\s+FAILED AT\s+REASON$/);
    expect(lines[1]).toMatch(/^job-a\s+kakao\.user-unlinked\s+user-job-a\s+1\s+\S+\s+cannot process job-a$/);
    expect(lines).toHaveLength(3);
    expect(text.stderr).toContain('showing the newest 2 of 3 failed jobs');
    expect(fx.opens).toEqual({ opened: 4, closed: 4 });
  });

  it('says so when nothing failed', async () => {
    start();
    const text = await fx.cli(['failed', 'list']);
    expect(text).toMatchObject({ code: 0, stdout: `no failed jobs in queue ${fx.config.queue.name}\n` });
    expect(JSON.parse((await fx.cli(['failed', 'list', '--json'])).stdout)).toEqual([]);
  });

  it('shows one failed job whole: envelope, attempts, reason, stack trace, times', async () => {
    start();
    await failOneByOne(['job-show']);
    const stored = (await fx.inspect.getJob('job-show'))!.data;

    const json = await fx.cli(['failed', 'show', 'job-show', '--json']);
    expect(json.code).toBe(0);
    const job = JSON.parse(json.stdout);
    expect(job).toMatchObject({ id: 'job-show', type: 'kakao.user-unlinked', state: 'failed', attemptsMade: 1, maxAttempts: 3 });
    expect(job.failedReason).toBe('cannot process job-show');
    expect(job.stacktrace.join('\n')).toContain('cannot process job-show');
    expect(job.event).toEqual(stored);
    for (const at of ['createdAt', 'processedAt', 'failedAt']) expect(Date.parse(job.timestamps[at])).toBeGreaterThan(Date.now() - 60_000);

    const text = await fx.cli(['failed', 'show', 'job-show']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^id\s+job-show$/m);
    expect(text.stdout).toMatch(/^attempts\s+1 of 3$/m);
    expect(text.stdout).toMatch(/^reason\s+cannot process job-show$/m);
    expect(text.stdout).toContain('"subject": {');
  });

  it('exits 1 for an unknown job id, and for a job that is not failed', async () => {
    start();
    for (const command of ['show', 'retry']) {
      const run = await fx.cli(['failed', command, 'no-such-job']);
      expect(run).toMatchObject({ code: 1, stdout: '', stderr: 'error: no job with id no-such-job\n' });
    }
    await fx.inspect.add('kakao.user-unlinked', event('job-later'), { jobId: 'job-later', delay: 60_000 });
    for (const command of ['show', 'retry']) {
      const run = await fx.cli(['failed', command, 'job-later']);
      expect(run).toMatchObject({ code: 1, stderr: 'error: job job-later is not failed (its state is delayed)\n' });
    }
    expect(await fx.inspect.getJobState('job-later')).toBe('delayed');
    expect(fx.opens.opened).toBe(fx.opens.closed);
  });

  it('retries one job: the worker runs the handlers again on the stored envelope, with fresh attempts', async () => {
    start();
    await failOneByOne(['job-retry', 'job-stays']);
    const stored = (await fx.inspect.getJob('job-retry'))!.data;
    fx.handler.run = () => {};

    const run = await fx.cli(['failed', 'retry', 'job-retry']);
    expect(run).toMatchObject({ code: 0, stdout: 'job job-retry is waiting again; a worker will run its handlers\n', stderr: '' });
    await waitFor(() => fx.calls.length === 3, { what: 'the handler to run again' });
    expect(fx.calls.map((received) => received.id)).toEqual(['job-retry', 'job-stays', 'job-retry']);
    expect(fx.calls[2]).toEqual(stored);
    expect(fx.attempts[2]).toBe(1); // a fresh set of attempts, not attempt 2 of 3
    await waitFor(async () => (await fx.inspect.getJob('job-retry')) === undefined, { what: 'the completed job to be removed' });
    expect((await fx.inspect.getFailed()).map((job) => job.id)).toEqual(['job-stays']);
  });

  it('refuses retry without an id or --all, or with both (exit 2), without opening the store', async () => {
    start();
    const neither = await fx.cli(['failed', 'retry']);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('give a job id, or --all');
    const both = await fx.cli(['failed', 'retry', 'x', '--all']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('not both');
    expect(fx.opens.opened).toBe(0);
  });

  it('retry --all visits each failed job once, even when the handler fails again at once', async () => {
    start();
    await failOneByOne(['r1', 'r2', 'r3', 'r4', 'r5']);
    const run = await fx.cli(['failed', 'retry', '--all']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('retried 5/5\n5 of 5 failed jobs are waiting again\n');
    await waitFor(() => fx.calls.length === 10, { what: 'every job to run again' });
    await waitFor(async () => (await fx.inspect.getFailedCount()) === 5, { what: 'the jobs to fail again' });
    await sleep(300);
    expect(fx.calls).toHaveLength(10);
  });

  it('retry --all draws a progress bar when stdout is a terminal', async () => {
    start();
    await failOneByOne(['t1', 't2', 't3']);
    fx.handler.run = () => {};
    const run = await fx.cli(['failed', 'retry', '--all'], { stdoutIsTTY: true });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/retrying \|[█░]+\| 3\/3 jobs/);
    expect(run.stdout).not.toContain('retried 3/3');
    expect(run.stdout).toContain('3 of 3 failed jobs are waiting again');
    await waitFor(async () => (await fx.inspect.getFailedCount()) === 0 && fx.calls.length === 6, { what: 'the retried jobs to complete' });
  });

  it('purge --older-than removes only the jobs that failed before then, and confirms on a terminal', async () => {
    start();
    await failOneByOne(['old-1', 'old-2']);
    await sleep(1200);
    await failOneByOne(['new-1']);

    const refused = await fx.cli(['failed', 'purge', '--older-than', '1s']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('refusing to purge without --yes: stdin is not a terminal');
    expect(fx.opens.opened).toBe(0);

    const questions: string[] = [];
    const declined = await fx.cli(['failed', 'purge', '--older-than', '1s'], {
      stdinIsTTY: true,
      confirm: async (question) => (questions.push(question), false),
    });
    expect(declined).toMatchObject({ code: 1, stderr: 'error: nothing removed\n' });
    expect(questions).toEqual([expect.stringMatching(/^Remove 2 failed jobs that failed before \S+Z\? \[y\/N\] $/)]);
    expect(await fx.inspect.getFailedCount()).toBe(3);

    const confirmed = await fx.cli(['failed', 'purge', '--older-than', '1s'], { stdinIsTTY: true, confirm: async () => true });
    expect(confirmed.code).toBe(0);
    expect(confirmed.stdout).toMatch(/^removed 2 failed jobs that failed before \S+Z\n$/);
    expect((await fx.inspect.getFailed()).map((job) => job.id)).toEqual(['new-1']);
  });

  it('purge --yes needs no terminal, and reports 0 when nothing is that old', async () => {
    start();
    await failOneByOne(['p1', 'p2']);
    const none = await fx.cli(['failed', 'purge', '--older-than', '1h', '--yes']);
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/^removed 0 failed jobs that failed before /);
    expect(await fx.inspect.getFailedCount()).toBe(2);
    const all = await fx.cli(['failed', 'purge', '--older-than', '0s', '-y']);
    expect(all.stdout).toMatch(/^removed 2 failed jobs/);
    expect(await fx.inspect.getFailedCount()).toBe(0);
  });

  it('refuses a bad duration or a missing --older-than with exit 2', async () => {
    start();
    for (const argv of [
      ['failed', 'purge', '--older-than', '7x', '--yes'],
      ['failed', 'purge', '--yes'],
      ['failed', 'list', '--limit', '0'],
    ]) {
      const run = await fx.cli(argv);
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.stderr).toContain('(add --help for usage)');
    }
    expect(fx.opens.opened).toBe(0);
  });

  it('exits 1 with the store named when the store does not answer', async () => {
    start();
    const env =
      kind === 'redis'
        ? { REDIS_URL: 'redis://127.0.0.1:1' }
        : kind === 'cluster'
          ? { REDIS_CLUSTER_NODES: '127.0.0.1:1' }
          : kind === 'postgres'
          ? { DATABASE_URL: TEST_DATABASE_URL.replace(':5432', ':1') }
          : { DATA_DIR: '/nonexistent/receiver-data' };
    const started = Date.now();
    const run = await fx.cli(['failed', 'list'], { openQueue: () => openQueueFromEnv({ QUEUE_NAME: fx.config.queue.name, ...env }) });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      kind === 'redis'
        ? /^error: Redis at redis:\/\/127\.0\.0\.1:1 does not answer: no answer within 5 s\n$/
        : kind === 'cluster'
          ? /^error: Redis Cluster seeded by 127\.0\.0\.1:1 does not answer: no answer within 5 s\n$/
          : kind === 'postgres'
          ? /^error: PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/test does not answer: .*ECONNREFUSED/
          : /^error: no embedded store in \/nonexistent\/receiver-data: set DATA_DIR/,
    );
    expect(Date.now() - started).toBeLessThan(8000);
  }, 15_000);

  it.runIf(kind === 'embedded')('refuses at once while another process holds the embedded data directory', async () => {
    start();
    const started = Date.now();
    const run = await fx.cli(['failed', 'list'], { openQueue: () => openQueueFromEnv({ ...store().env, QUEUE_NAME: fx.config.queue.name }) });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`is in use by process ${process.pid} on `);
    expect(run.stderr).toContain('Only one process may use the embedded store');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it.runIf(kind !== 'embedded')('opens the store the service uses from the same environment', async () => {
    start();
    await failOneByOne(['env-1']);
    const run = await fx.cli(['failed', 'list', '--json'], { openQueue: () => openQueueFromEnv({ ...store().env, QUEUE_NAME: fx.config.queue.name }) });
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { id: string }[]).map((job) => job.id)).toEqual(['env-1']);
  });

  it('retry --all pages through a thousand failed jobs, and every one runs again in the worker', async () => {
    fx = cliFixture(store());
    const round = new Map<string, number>();
    fx.handler.run = (received) => {
      const runs = (round.get(received.id) ?? 0) + 1;
      round.set(received.id, runs);
      if (runs === 1) throw new Error('downstream down');
    };
    const ids = Array.from({ length: 1000 }, (_, i) => `bulk-${String(i).padStart(4, '0')}`);
    const opts = { attempts: 1, removeOnComplete: true, removeOnFail: { age: 3600 } };
    for (let i = 0; i < ids.length; i += 100) {
      await fx.inspect.addBulk(ids.slice(i, i + 100).map((id) => ({ name: 'kakao.user-unlinked', data: event(id), opts: { ...opts, jobId: id } })));
    }
    fx.startWorker(20);
    await waitFor(async () => (await fx.inspect.getFailedCount()) === 1000, { timeoutMs: 40_000, intervalMs: 200, what: 'a thousand failed jobs' });

    const started = Date.now();
    const run = await fx.cli(['failed', 'retry', '--all']);
    const retryMs = Date.now() - started;
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toEqual([...Array.from({ length: 10 }, (_, i) => `retried ${(i + 1) * 100}/1000`), '1000 of 1000 failed jobs are waiting again']);

    await waitFor(() => [...round.values()].filter((runs) => runs === 2).length === 1000, { timeoutMs: 40_000, intervalMs: 200, what: 'every job to run again' });
    await waitFor(async () => (await fx.inspect.getFailedCount()) === 0 && (await fx.inspect.getWaitingCount()) === 0, { what: 'the queue to empty' });
    expect(fx.calls).toHaveLength(2000);
    expect(new Set(fx.calls.map((received) => received.id)).size).toBe(1000);
    console.info(`[${kind}] retry --all of 1000 jobs took ${retryMs} ms`);
  }, 120_000);
});
