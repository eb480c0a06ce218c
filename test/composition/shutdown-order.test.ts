import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startService, type Service } from '../../src/service.js';
import { newSecret, startForwardTarget } from '../helpers/forward-target.js';
import { BACKENDS, TEST_DATABASE_URL, TEST_REDIS_URL, type TestStoreKind } from '../helpers/backends.js';
import { LOGTO_KEY, postLogto, userDataUpdated } from '../helpers/logto-signer.js';
import { captureLogs } from '../helpers/receiver.js';
import { testConfig } from '../helpers/test-config.js';
import { atMost, waitFor } from '../helpers/wait-for.js';

/** The environment that makes the service open a store of this kind itself (so it closes it too). */
function storeEnv(kind: TestStoreKind, cleanup: (() => void)[]): Record<string, string | undefined> {
  if (kind === 'redis') return { REDIS_URL: TEST_REDIS_URL, DATABASE_URL: undefined };
  if (kind === 'postgres') return { REDIS_URL: undefined, DATABASE_URL: TEST_DATABASE_URL };
  const dataDir = mkdtempSync(join(tmpdir(), 'shutdown-order-'));
  cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
  return { REDIS_URL: undefined, DATABASE_URL: undefined, DATA_DIR: dataDir };
}

/**
 * The order of shutdown on the real service (src/service.ts, SHUTDOWN_ORDER): stop taking requests,
 * let active jobs finish, close the queues, close the store. Each component's close is logged
 * (`component closed`), and the handler logs when its job starts and ends.
 */
describe.each(BACKENDS.filter((kind) => kind !== 'cluster'))('shutdown order, on %s', (kind) => {
  const cleanup: (() => void)[] = [];
  let service: Service | undefined;
  afterEach(async () => {
    await atMost(service?.close() ?? Promise.resolve());
    service = undefined;
    for (const step of cleanup.splice(0)) step();
  });

  it('closes HTTP while a job is active, the workers once the job finished, then the forwarder and the queues, then the store', async () => {
    const target = await startForwardTarget();
    cleanup.push(() => void target.close());
    const config = testConfig({
      ...storeEnv(kind, cleanup),
      KAKAO_AUDIENCE: '',
      LOGTO_SIGNING_KEYS: LOGTO_KEY,
      ADMIN_USER: 'admin',
      ADMIN_PASSWORD: 'a-long-enough-password',
      FORWARD_URL: target.url,
      FORWARD_SECRET: newSecret(),
      FORWARD_ALLOW_HTTP: 'true',
    });
    const { lines, logger } = captureLogs();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    service = await startService(config, {
      role: 'all',
      logger,
      registerHandlers: (registry) =>
        registry.onAny(async (_event, { log }) => {
          log.info('test handler: job started');
          await gate;
          log.info('test handler: job finished');
        }),
    });
    const { app } = service;
    expect((await postLogto(app, userDataUpdated({ userId: 'u-shutdown' }))).statusCode).toBe(200);
    await waitFor(() => lines.some((line) => line.msg === 'test handler: job started'), { what: 'the job to start' });

    const closed = service.close();
    service = undefined;
    const closedAt = (name: string) => lines.findIndex((line) => line.msg === 'component closed' && line.closed === name);
    // HTTP closes while the job is still active: the worker's close waits for it, so an order that
    // closed the worker first would never get here.
    await waitFor(() => closedAt('http') >= 0, { what: 'HTTP to close while the job is active' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(closedAt('event-worker')).toBe(-1);
    release();
    await closed;

    const finishedAt = lines.findIndex((line) => line.msg === 'test handler: job finished');
    expect(finishedAt).toBeGreaterThan(closedAt('http'));
    expect(closedAt('event-worker')).toBeGreaterThan(finishedAt);
    expect(closedAt('forwarding-deliveries')).toBeGreaterThan(closedAt('http'));
    // The forward handler of the active job still stores its delivery: the forwarder closes after the worker.
    expect(closedAt('forwarder')).toBeGreaterThan(closedAt('event-worker'));
    // The queues close after their users, and before the store.
    for (const user of ['http', 'dashboard', 'event-worker', 'purge', 'queue-collectors']) expect(closedAt('read-queues')).toBeGreaterThan(closedAt(user));
    for (const queue of ['event-queue', 'read-queues', 'forwarder', 'event-worker']) expect(closedAt('store')).toBeGreaterThan(closedAt(queue));
    expect(closedAt('event-queue')).toBeGreaterThan(closedAt('event-worker'));
  }, 60_000);
});
