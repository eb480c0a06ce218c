import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { QueueBackend } from '../../src/queue/backend.js';
import type { Role } from '../../src/service.js';
import { postgresBackendFromUrl } from '../../src/queue/backends/postgres-backend.js';
import { BACKENDS, openUnavailableBackend, TEST_DATABASE_URL, type TestBackend } from '../helpers/backends.js';
import { createTestKey, setClaims, signSet, startJwksServer, type JwksServer, type TestKey } from '../helpers/kakao-transmitter.js';
import { useTestBackend } from '../helpers/receiver.js';
import { startOwnRedis, type OwnRedis } from '../helpers/redis-server.js';
import { postSetOverHttp, runService, type RunningService } from '../helpers/service.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { testConfig } from '../helpers/test-config.js';
import { atMost, waitFor } from '../helpers/wait-for.js';

/** Real HTTP, a real store, a real BullMQ worker: a signed SET goes in, a handler sees it. */
let key: TestKey;
let jwks: JwksServer;
let running: RunningService | undefined;

afterEach(async () => {
  await running?.close();
  running = undefined;
  await jwks?.close();
});

async function start(store: { backend?: QueueBackend; env: TestBackend['env'] }, role: Role = 'all') {
  key = await createTestKey('kakao-key-1');
  jwks = await startJwksServer([key]);
  running = await runService(testConfig({ KAKAO_JWKS_URI: jwks.url, ...store.env }), { role, ...(store.backend ? { backend: store.backend } : {}) });
  return running;
}

describe.each(BACKENDS)('Kakao account status webhook end to end, on %s', (kind) => {
  const store = useTestBackend(kind);

  it('processes a signed token posted over HTTP in a handler, with the typed envelope', async () => {
    const { baseUrl, received } = await start(store());
    const response = await postSetOverHttp(baseUrl, await signSet(key, setClaims()));
    expect(response.status).toBe(202);
    expect(await response.text()).toBe('');
    const [event] = await waitFor(() => (received.length > 0 ? received : undefined), { what: 'the handler' });
    expect(event).toMatchObject({ type: 'kakao.user-unlinked', provider: 'kakao', subject: { id: '9007199254740993123' } });
  });

  it('processes a redelivered token once', async () => {
    const { baseUrl, received, inspect } = await start(store());
    const token = await signSet(key, setClaims());
    for (let i = 0; i < 3; i += 1) expect((await postSetOverHttp(baseUrl, token)).status).toBe(202);
    await waitFor(() => received.length === 1, { what: 'the handler' });
    await waitFor(async () => (await inspect.getJobCounts('waiting', 'active', 'delayed', 'completed')).completed === 0, { what: 'the job to be removed' });
    await sleep(300);
    expect((await postSetOverHttp(baseUrl, token)).status).toBe(202); // after completion too
    await sleep(500);
    expect(received).toHaveLength(1);
    expect(await inspect.getJobCounts('waiting', 'active', 'delayed')).toEqual({ waiting: 0, active: 0, delayed: 0 });
  });

  it('answers 503 with Retry-After within the time limit when the store does not answer', async () => {
    const down = await openUnavailableBackend(kind);
    try {
      const { baseUrl } = await start(down, 'receiver');
      const started = Date.now();
      const response = await postSetOverHttp(baseUrl, await signSet(key, setClaims()));
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBeTruthy();
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      await atMost(running!.close());
      running = undefined;
      await atMost(down.close());
    }
  });
});

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;

describe('store outages and recovery', () => {
  // A proxy cannot stand in front of a cluster (clients follow the addresses its nodes announce).
  it.each(BACKENDS.filter((kind) => kind === 'redis' || kind === 'postgres'))(
    '%s accepting connections but never answering: 503 within the time limit',
    async (kind) => {
      proxy = await startTcpProxy(kind === 'redis' ? 6379 : 5432);
      proxy.blackhole();
      const env =
        kind === 'redis'
          ? { REDIS_URL: `redis://127.0.0.1:${proxy.port}` }
          : { REDIS_URL: undefined, DATABASE_URL: TEST_DATABASE_URL.replace(':5432/', `:${proxy.port}/`) };
      await start({ env }, 'receiver');
      const started = Date.now();
      const response = await postSetOverHttp(running!.baseUrl, await signSet(key, setClaims()));
      expect(response.status).toBe(503);
      expect(Date.now() - started).toBeLessThan(1500);
      await atMost(running!.close());
      running = undefined;
    },
  );

  let ownRedis: OwnRedis | undefined;
  let proxy: TcpProxy | undefined;
  afterEach(async () => {
    // The service first: a worker waits for its store while closing.
    await running?.close();
    running = undefined;
    await ownRedis?.stop();
    ownRedis = undefined;
    await proxy?.close();
    proxy = undefined;
  });

  it.runIf(hasRedisServer || process.env.TEST_BACKENDS?.includes('redis'))(
    'Redis stopped: 503 quickly; once Redis is back, the sender\'s retry is accepted and processed',
    async () => {
      ownRedis = await startOwnRedis();
      const { baseUrl, received } = await start({ env: { REDIS_URL: ownRedis.url } });
      const token = await signSet(key, setClaims());

      await ownRedis.stop();
      const started = Date.now();
      const refused = await postSetOverHttp(baseUrl, token);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBeTruthy();
      expect(Date.now() - started).toBeLessThan(1500);

      await ownRedis.start();
      // The sender retries; once the connection is back the retry is accepted.
      await waitFor(async () => (await postSetOverHttp(baseUrl, token)).status === 202, { timeoutMs: 15_000, intervalMs: 200, what: 'the retry to be accepted' });
      await waitFor(() => received.length === 1, { timeoutMs: 15_000, what: 'the worker to process the retried event' });
      expect(received[0]!.type).toBe('kakao.user-unlinked');
    },
  );

  it.runIf(BACKENDS.includes('postgres'))(
    'PostgreSQL unreachable from the start: 503 quickly; once it answers, the retry is accepted and processed',
    async () => {
      proxy = await startTcpProxy(5432);
      await proxy.cut();
      const url = TEST_DATABASE_URL.replace(':5432/', `:${proxy.port}/`);
      const backend = await postgresBackendFromUrl(url, pino({ level: 'silent' }));
      try {
        const { baseUrl, received } = await start({ backend, env: { REDIS_URL: undefined, DATABASE_URL: url } });
        const token = await signSet(key, setClaims());
        const started = Date.now();
        expect((await postSetOverHttp(baseUrl, token)).status).toBe(503);
        expect(Date.now() - started).toBeLessThan(1500);

        await proxy.restore();
        await waitFor(async () => (await postSetOverHttp(baseUrl, token)).status === 202, { timeoutMs: 15_000, intervalMs: 200, what: 'the retry to be accepted' });
        await waitFor(() => received.length === 1, { timeoutMs: 15_000, what: 'the worker to process the retried event' });
      } finally {
        await atMost(running!.close());
        running = undefined;
        await atMost(backend.close());
      }
    },
  );
});
