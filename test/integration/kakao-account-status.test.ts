import { afterEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestKey, setClaims, signSet, startJwksServer, type JwksServer, type TestKey } from '../helpers/kakao-transmitter.js';
import { startOwnRedis, type OwnRedis } from '../helpers/redis-server.js';
import { postSetOverHttp, runService, type RunningService } from '../helpers/service.js';
import { testConfig } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

/** Real HTTP, real Redis, real BullMQ worker: a signed SET goes in, a handler sees it. */
describe('Kakao account status webhook, end to end', () => {
  let key: TestKey;
  let jwks: JwksServer;
  let running: RunningService | undefined;
  let ownRedis: OwnRedis | undefined;

  afterEach(async () => {
    await running?.close();
    running = undefined;
    await ownRedis?.stop();
    ownRedis = undefined;
    await jwks?.close();
  });

  async function start(env: Record<string, string> = {}) {
    key = await createTestKey('kakao-key-1');
    jwks = await startJwksServer([key]);
    running = await runService(testConfig({ KAKAO_JWKS_URI: jwks.url, ...env }));
    return running;
  }

  it('processes a signed token posted over HTTP in a handler, with the typed envelope', async () => {
    const { baseUrl, received } = await start();
    const response = await postSetOverHttp(baseUrl, await signSet(key, setClaims()));
    expect(response.status).toBe(202);
    expect(await response.text()).toBe('');
    const [event] = await waitFor(() => (received.length > 0 ? received : undefined), { what: 'the handler' });
    expect(event).toMatchObject({ type: 'kakao.user-unlinked', provider: 'kakao', subject: { id: '9007199254740993123' } });
  });

  it('processes a redelivered token once', async () => {
    const { baseUrl, received, inspect } = await start();
    const token = await signSet(key, setClaims());
    for (let i = 0; i < 3; i += 1) expect((await postSetOverHttp(baseUrl, token)).status).toBe(202);
    await waitFor(async () => (await inspect.getCompletedCount()) === 1, { what: 'completion' });
    await sleep(300);
    expect((await postSetOverHttp(baseUrl, token)).status).toBe(202); // after completion too
    await sleep(300);
    expect(received).toHaveLength(1);
    expect(await inspect.getCompletedCount()).toBe(1);
  });

  it('answers 503 quickly while Redis is down, and accepts and processes the retry once Redis is back', async () => {
    ownRedis = await startOwnRedis();
    const { baseUrl, received } = await start({ REDIS_URL: ownRedis.url });
    const token = await signSet(key, setClaims());

    await ownRedis.stop();
    const started = Date.now();
    const refused = await postSetOverHttp(baseUrl, token);
    const elapsed = Date.now() - started;
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBeTruthy();
    expect(elapsed).toBeLessThan(1500);

    await ownRedis.start();
    // The sender retries; once the connection is back the retry is accepted.
    const accepted = await waitFor(async () => ((await postSetOverHttp(baseUrl, token)).status === 202 ? true : undefined), {
      timeoutMs: 15_000,
      intervalMs: 200,
      what: 'the retry to be accepted',
    });
    expect(accepted).toBe(true);
    await waitFor(() => received.length === 1, { timeoutMs: 15_000, what: 'the worker to process the retried event' });
    expect(received[0]!.type).toBe('kakao.user-unlinked');
  });
});
