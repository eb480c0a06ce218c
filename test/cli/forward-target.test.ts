import { randomUUID } from 'node:crypto';
import { UnrecoverableError } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { forwardQueueName } from '../../src/forwarding/queues.js';
import type { JobQueue } from '../../src/queue/backend.js';
import { BACKENDS, TEST_REDIS_URL } from '../helpers/backends.js';
import { newSecret } from '../helpers/forward-target.js';
import { useTestBackend } from '../helpers/receiver.js';
import { atMost, waitFor } from '../helpers/wait-for.js';
import { runCliProcess } from './cli-helpers.js';

/** `failed ... --target <name>` in the real entry point: the target's own queue, found from the same FORWARD_* variables as the service. */
describe.runIf(BACKENDS.includes('redis'))('the CLI on a forwarding target', () => {
  const store = useTestBackend('redis');
  const queueName = `test-${randomUUID()}`;
  const env = {
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_NAME: queueName,
    FORWARD_TARGETS: JSON.stringify([{ name: 'app', url: 'https://app.example/hooks', secret: newSecret() }]),
  };
  let queue: JobQueue | undefined;
  afterAll(async () => {
    await atMost(queue!.obliterate({ force: true }));
    await queue?.close();
  });

  it('lists and retries the failed deliveries of the named target, and names the targets it knows', async () => {
    queue = store().backend.createQueue(forwardQueueName(queueName, 'app'), { attempts: 1 });
    await queue.add('logto.User.Data.Updated', { id: 'logto-abc', provider: 'logto', type: 'logto.User.Data.Updated', subject: { id: 'u1' } } as never, { jobId: 'logto-abc' });
    const worker = store().backend.createWorker(forwardQueueName(queueName, 'app'), async () => {
      throw new UnrecoverableError('target app answered 400: no');
    }, { concurrency: 1 });
    void worker.run();
    await waitFor(async () => (await queue!.getFailedCount()) === 1, { what: 'the failed delivery' });
    await worker.close();

    const listed = await runCliProcess(['failed', 'list', '--target', 'app', '--json'], env);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ id: 'logto-abc', subjectId: 'u1', failedReason: 'target app answered 400: no' })]);
    const events = await runCliProcess(['failed', 'list', '--json'], env); // without --target: the event queue, which has none
    expect(JSON.parse(events.stdout)).toEqual([]);

    const retried = await runCliProcess(['failed', 'retry', 'logto-abc', '--target', 'app'], env);
    expect(retried).toMatchObject({ code: 0, stdout: 'job logto-abc is waiting again; the delivery to app is POSTed again\n' });
    expect(await queue.getWaitingCount()).toBe(1);

    const unknown = await runCliProcess(['failed', 'list', '--target', 'crm'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error: no forwarding target named crm; configured: app$/m);
    const unconfigured = await runCliProcess(['failed', 'list', '--target', 'app'], { REDIS_URL: TEST_REDIS_URL, QUEUE_NAME: queueName });
    expect(unconfigured.code).toBe(1);
    expect(unconfigured.stderr).toMatch(/no forwarding target is configured/);
  }, 60_000);
});
