import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { accountApiComponent } from '../../../src/accounts/components.js';
import { runComponents } from '../../../src/composition/run-components.js';
import { buildApp } from '../../../src/http/app.js';
import { createLogger } from '../../../src/logger.js';
import { createMetrics, type Metrics } from '../../../src/metrics.js';
import { API_TOKEN, OLD_API_TOKEN, api } from '../../helpers/account-api.js';
import { BACKENDS, openTestBackend, type TestBackend, type TestStoreKind } from '../../helpers/backends.js';
import { testConfig } from '../../helpers/test-config.js';
import { atMost, waitFor } from '../../helpers/wait-for.js';

/**
 * The change feed's limits on every store: streams per token and per process (429 beyond), and a
 * reader that stops reading loses its stream instead of making the process queue for it.
 */
describe.each(BACKENDS)('the change feed on the %s store', (kind: TestStoreKind) => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  const held: Response[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await atMost(Promise.resolve(cleanup()), 5000);
    held.length = 0;
  });

  /** The app with the account API as the service starts it, on a real store, and its metrics. */
  async function start(env: Record<string, string>): Promise<{ app: FastifyInstance; metrics: Metrics; store: TestBackend }> {
    const store = await openTestBackend(kind);
    cleanups.push(() => store.close());
    const config = testConfig({ KAKAO_AUDIENCE: '', ACCOUNT_API_TOKENS: `${API_TOKEN},${OLD_API_TOKEN}`, ...env });
    const metrics = createMetrics();
    const options = { config, role: 'all' as const, logger: createLogger('silent'), metrics };
    const { routes } = await runComponents([accountApiComponent], { ...options, provided: { backend: store.backend } });
    const { app } = await buildApp(config, { ...options, routes });
    cleanups.push(() => app.close());
    return { app, metrics, store };
  }

  const counter = async (metrics: Metrics, name: string, reason: string) => {
    const { values } = await metrics.registry.getSingleMetric(name)!.get();
    return values.find((value) => value.labels.reason === reason)?.value ?? 0;
  };
  const openStreams = async (metrics: Metrics) => (await metrics.registry.getSingleMetric('account_change_streams_open')!.get()).values[0]!.value;

  /** Opens a stream with fetch and waits for its `ready` event; aborting closes it. */
  async function openStream(baseUrl: string, token: string) {
    const controller = new AbortController();
    cleanups.push(() => controller.abort());
    const response = await api(baseUrl, '/v1/accounts/changes', { token, signal: controller.signal });
    // Kept referenced until the test ends: fetch cancels the body of a response it finds
    // garbage-collected, which would close the stream and free its slot.
    held.push(response);
    if (response.status !== 200) return { status: response.status, response, close: () => controller.abort() };
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('event: ready')) text += new TextDecoder().decode((await reader.read()).value);
    return { status: 200, response, close: () => controller.abort() };
  }

  it('refuses streams past the per-token and per-process limits with 429 and Retry-After, and frees a slot when a stream closes', async () => {
    const { app, metrics } = await start({ CHANGE_FEED_MAX_STREAMS: '3', CHANGE_FEED_MAX_STREAMS_PER_TOKEN: '2' });
    const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });

    const first = await openStream(baseUrl, API_TOKEN);
    await openStream(baseUrl, API_TOKEN);
    const third = await openStream(baseUrl, API_TOKEN);
    expect(third.status).toBe(429);
    expect(third.response.headers.get('retry-after')).toBe('5');
    expect(await third.response.json()).toMatchObject({ error: 'ERR_TOO_MANY_STREAMS' });
    expect(await counter(metrics, 'account_change_streams_refused_total', 'token_limit')).toBe(1);

    // The other token has slots of its own, up to the process's limit.
    expect((await openStream(baseUrl, OLD_API_TOKEN)).status).toBe(200);
    const overProcess = await openStream(baseUrl, OLD_API_TOKEN);
    expect(overProcess.status).toBe(429);
    expect(await counter(metrics, 'account_change_streams_refused_total', 'process_limit')).toBe(1);
    expect(await openStreams(metrics)).toBe(3);

    // A closed stream gives its slot back; the API's other routes never count.
    expect((await api(baseUrl, '/v1/accounts/kakao/nobody')).status).toBe(404);
    first.close();
    await waitFor(async () => (await openStreams(metrics)) === 2, { what: 'the closed stream to release its slot' });
    expect((await openStream(baseUrl, API_TOKEN)).status).toBe(200);
  });

  /**
   * A raw client on a Unix socket that reads up to the `ready` event and then stops reading. The
   * service listens on TCP in production; a Unix socket holds about 200 KB in the kernel where
   * loopback TCP holds about 4 MB, so the process's own queue starts growing after a few hundred
   * changes instead of ten thousand.
   */
  async function stalledReader(app: FastifyInstance, token: string): Promise<Socket> {
    const dir = mkdtempSync(join(tmpdir(), 'feed-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'http.sock');
    await app.listen({ path });
    const socket = connect(path);
    cleanups.push(() => void socket.destroy());
    socket.write(`GET /v1/accounts/changes HTTP/1.1\r\nHost: feed\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    let text = '';
    await new Promise<void>((resolve, reject) => {
      socket.on('error', reject);
      socket.on('data', function onData(chunk) {
        text += chunk.toString();
        if (!text.includes('event: ready')) return;
        socket.off('data', onData);
        socket.pause();
        resolve();
      });
    });
    expect(text).toMatch(/^HTTP\/1.1 200/);
    return socket;
  }

  /** Stores changes (each a real apply on the store, published on its feed) until `done`. */
  async function applyChangesUntil(store: TestBackend, done: () => Promise<boolean>, what: string) {
    const userId = `${randomUUID()}-${'x'.repeat(200)}`; // a long id makes each change ~600 bytes
    const at = Date.now() - 3_600_000;
    for (let i = 0; i < 4000; i += 1) {
      await store.backend.accountStates().apply({ provider: 'kakao', userId, event: { id: `e${i}`, type: 'kakao.sessions-revoked', at: at + i * 1000 }, revokeSessions: true });
      if (i % 25 === 24) {
        if (await done()) return;
        await sleep(20);
      }
    }
    throw new Error(`4000 changes stored and still not ${what}`);
  }

  it('ends a stream whose unread output passes CHANGE_FEED_MAX_BUFFER_BYTES; its reader sees the end', async () => {
    const { app, metrics, store } = await start({ CHANGE_FEED_MAX_BUFFER_BYTES: '16384', CHANGE_FEED_DRAIN_TIMEOUT_MS: '600000' });
    const socket = await stalledReader(app, API_TOKEN);
    await applyChangesUntil(store, async () => (await counter(metrics, 'account_change_streams_dropped_total', 'buffer')) === 1, 'dropped');
    expect(await counter(metrics, 'account_change_streams_dropped_total', 'drain')).toBe(0);
    await waitFor(async () => (await openStreams(metrics)) === 0, { what: 'the dropped stream to release its slot' });

    // What the kernel held still arrives, then the connection ends: the client reconnects.
    const closed = new Promise((resolve) => socket.on('close', resolve));
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.resume();
    await closed;
  });

  it('ends a stream whose socket does not drain within CHANGE_FEED_DRAIN_TIMEOUT_MS, below the buffer bound', async () => {
    const { app, metrics, store } = await start({ CHANGE_FEED_MAX_BUFFER_BYTES: String(64 * 1024 * 1024), CHANGE_FEED_DRAIN_TIMEOUT_MS: '300' });
    await stalledReader(app, API_TOKEN);
    await applyChangesUntil(store, async () => (await counter(metrics, 'account_change_streams_dropped_total', 'drain')) === 1, 'dropped');
    expect(await counter(metrics, 'account_change_streams_dropped_total', 'buffer')).toBe(0);
    await waitFor(async () => (await openStreams(metrics)) === 0, { what: 'the dropped stream to release its slot' });
  });
});
