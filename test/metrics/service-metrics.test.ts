import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors.js';
import type { HandlerRegistry } from '../../src/handlers/registry.js';
import { startService, type Role, type Service } from '../../src/service.js';
import { kakaoEvent } from '../helpers/account-api.js';
import { BACKENDS } from '../helpers/backends.js';
import { ADMIN_ENV, ADMIN_KEY, channelBody, resourceId } from '../helpers/kakao-admin.js';
import { createTestKey, startJwksServer, type JwksServer, type TestKey } from '../helpers/kakao-transmitter.js';
import { LOGTO_KEY, signLogto, userDataUpdated } from '../helpers/logto-signer.js';
import { captureLogs, useTestBackend } from '../helpers/receiver.js';
import { postSetOverHttp } from '../helpers/service.js';
import { testConfig } from '../helpers/test-config.js';
import { atMost, waitFor } from '../helpers/wait-for.js';
import { scrape, type Scrape } from './scrape.js';

const KAKAO = '/webhooks/kakao/account-status';
const LOGTO = '/webhooks/logto';
const CHANNEL = '/webhooks/kakao/talk-channel';

/**
 * The metrics of a real service (HTTP, each store, the BullMQ worker) move with what it does:
 * signed webhooks from Kakao and Logto, a handler that fails permanently, a JWKS that breaks.
 */
describe.each(BACKENDS)('service metrics, on %s', (kind) => {
  const store = useTestBackend(kind);
  let key: TestKey;
  let jwks: JwksServer | undefined;
  let service: Service | undefined;
  let baseUrl = '';
  let queueName = '';

  async function start(role: Role, registerHandlers: (registry: HandlerRegistry) => void = () => {}) {
    key = await createTestKey('kakao-key-1');
    jwks = await startJwksServer([key]);
    const config = testConfig({
      ...store().env,
      KAKAO_JWKS_URI: jwks.url,
      JWKS_COOLDOWN_MS: '0', // an unknown kid refetches at once
      LOGTO_SIGNING_KEYS: LOGTO_KEY,
      ...ADMIN_ENV,
      JOB_ATTEMPTS: '2',
    });
    queueName = config.queue.name;
    service = await startService(config, { role, logger: captureLogs().logger, backend: store().backend, registerHandlers });
    baseUrl = `http://127.0.0.1:${(service.app.server.address() as { port: number }).port}`;
  }

  afterEach(async () => {
    if (service) {
      await service.close();
      const inspect = store().backend.createQueue(queueName, {});
      inspect.on('error', () => {});
      await atMost(inspect.obliterate({ force: true }));
      await atMost(inspect.close());
    }
    service = undefined;
    await jwks?.close();
  });

  const sendLogto = (body = JSON.stringify(userDataUpdated()), signature = signLogto(LOGTO_KEY, body)) =>
    fetch(`${baseUrl}${LOGTO}`, { method: 'POST', headers: { 'content-type': 'application/json', 'logto-signature-sha-256': signature }, body });
  const sendChannel = () =>
    fetch(`${baseUrl}${CHANNEL}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `KakaoAK ${ADMIN_KEY}`, 'x-kakao-resource-id': resourceId() },
      body: JSON.stringify(channelBody()),
    });
  const until = (ready: (scraped: Scrape) => boolean, what: string) =>
    waitFor(async () => {
      const scraped = await scrape(baseUrl);
      return ready(scraped) ? scraped : undefined;
    }, { what, timeoutMs: 15_000, intervalMs: 100 });

  it('counts JWKS fetches, verification, handler runs and failures, lag, failed jobs and the last answers', async () => {
    await start('all', (registry) => {
      registry.on('kakao.account-disabled', () => {
        throw new PermanentError('refused on purpose');
      }, { name: 'refuses-disabled' });
      registry.onAny(() => {}, { name: 'audit' });
    });
    const startedAt = Date.now() / 1000;
    let scraped = await scrape(baseUrl);
    expect(scraped.value('webhook_jwks_fetches_total', { outcome: 'success' })).toBe(1); // the warm-up
    expect(scraped.value('webhook_jwks_age_seconds')).toBeLessThan(30);
    expect(scraped.value('webhook_store_up')).toBe(1);
    expect(scraped.value('webhook_verification_seconds_count', { provider: 'kakao', outcome: 'valid' })).toBeUndefined();
    expect(scraped.value('webhook_last_success_timestamp_seconds', { endpoint: KAKAO })).toBeUndefined();

    const userId = `${Date.now()}`;
    const t = Math.floor(Date.now() / 1000) * 1000 - 10_000;
    expect((await postSetOverHttp(baseUrl, await kakaoEvent(key, 'user-unlinked', userId, t))).status).toBe(202);
    expect((await sendLogto()).status).toBe(200);
    expect((await sendChannel()).status).toBe(200);
    // Lag is observed once all of an event's handlers are done, which may be after 'audit' is.
    scraped = await until(
      (s) =>
        (s.value('webhook_handler_duration_seconds_count', { handler: 'audit' }) ?? 0) >= 3 &&
        (s.value('webhook_event_received_to_handled_seconds_count', { provider: 'kakao' }) ?? 0) >= 2 &&
        (s.value('webhook_event_received_to_handled_seconds_count', { provider: 'logto' }) ?? 0) >= 1,
      'three events handled',
    );

    // Lag from each event's times to the end of its handlers, by provider.
    expect(scraped.value('webhook_event_received_to_handled_seconds_count', { provider: 'kakao' })).toBe(2);
    expect(scraped.value('webhook_event_received_to_handled_seconds_count', { provider: 'logto' })).toBe(1);
    expect(scraped.value('webhook_event_occurred_to_handled_seconds_count', { provider: 'kakao' })).toBe(2);
    expect(scraped.value('webhook_event_occurred_to_handled_seconds_count', { provider: 'logto' })).toBe(1);
    // The SET happened 10 s before it was sent: its occurred-to-handled lag is at least that.
    expect(scraped.value('webhook_event_occurred_to_handled_seconds_sum', { provider: 'kakao' })).toBeGreaterThanOrEqual(10);
    expect(scraped.value('webhook_handler_duration_seconds_count', { handler: 'account-state' })).toBeGreaterThanOrEqual(2);
    expect(scraped.value('webhook_verification_seconds_count', { provider: 'kakao', outcome: 'valid' })).toBe(1);
    expect(scraped.value('webhook_verification_seconds_count', { provider: 'logto', outcome: 'valid' })).toBe(1);
    const now = Date.now() / 1000;
    for (const endpoint of [KAKAO, LOGTO, CHANNEL]) {
      const at = scraped.value('webhook_last_success_timestamp_seconds', { endpoint });
      expect(at, endpoint).toBeGreaterThanOrEqual(startedAt);
      expect(at, endpoint).toBeLessThanOrEqual(now);
    }
    expect(scraped.value('webhook_queue_jobs', { state: 'failed' })).toBe(0);

    // A handler that throws PermanentError: one failure by name, one failed job, no lag observed.
    expect((await postSetOverHttp(baseUrl, await kakaoEvent(key, 'account-disabled', userId, t + 1000))).status).toBe(202);
    scraped = await until((s) => s.value('webhook_queue_jobs', { state: 'failed' }) === 1, 'the failed job');
    expect(scraped.value('webhook_handler_failures_total', { handler: 'refuses-disabled' })).toBe(1);
    expect(scraped.value('webhook_handler_failures_total', { handler: 'audit' })).toBeUndefined();
    expect(scraped.value('webhook_event_received_to_handled_seconds_count', { provider: 'kakao' })).toBe(2);
    expect(scraped.value('webhook_queue_jobs', { state: 'waiting' })).toBe(0);

    // A forged Logto delivery is timed as refused.
    expect((await sendLogto(JSON.stringify(userDataUpdated()), 'ab'.repeat(32))).status).toBe(401);
    // Kakao signs with a new key while its JWKS answers 500: the fetch fails and the answer is 503.
    jwks!.mode = 'error';
    const rotated = await createTestKey('kakao-key-2');
    const before = Date.now() / 1000;
    expect((await postSetOverHttp(baseUrl, await kakaoEvent(rotated, 'user-unlinked', userId, t + 2000))).status).toBe(503);

    scraped = await scrape(baseUrl);
    expect(scraped.value('webhook_verification_seconds_count', { provider: 'logto', outcome: 'refused' })).toBe(1);
    expect(scraped.value('webhook_verification_seconds_count', { provider: 'kakao', outcome: 'unavailable' })).toBe(1);
    expect(scraped.value('webhook_jwks_fetches_total', { outcome: 'http_error' })).toBe(1);
    expect(scraped.value('webhook_jwks_fetches_total', { outcome: 'success' })).toBe(1);
    expect(scraped.value('webhook_last_failure_timestamp_seconds', { endpoint: KAKAO })).toBeGreaterThanOrEqual(before);
    expect(scraped.value('webhook_last_failure_timestamp_seconds', { endpoint: LOGTO })).toBeUndefined(); // a 401 is not ours
    expect(scraped.value('webhook_requests_total', { endpoint: KAKAO, status: '503' })).toBe(1);
    // The last success stays where it was.
    expect(scraped.value('webhook_last_success_timestamp_seconds', { endpoint: KAKAO })).toBeLessThan(before);
  });

  it('reports how long the oldest waiting job has waited when no worker takes it', async () => {
    await start('receiver');
    const t = Date.now() - 5000;
    expect((await postSetOverHttp(baseUrl, await kakaoEvent(key, 'user-unlinked', `${Date.now()}`, t))).status).toBe(202);
    await sleep(1500);
    expect((await sendLogto()).status).toBe(200);
    const scraped = await scrape(baseUrl);
    expect(scraped.value('webhook_queue_jobs', { state: 'waiting' })).toBe(2);
    expect(scraped.value('webhook_queue_oldest_waiting_seconds')).toBeGreaterThanOrEqual(1.5);
    expect(scraped.value('webhook_queue_oldest_waiting_seconds')).toBeLessThan(10);
    // A receiver runs no handlers: no handler or lag series.
    expect(scraped.families.has('webhook_handler_duration_seconds')).toBe(true);
    expect(scraped.value('webhook_event_received_to_handled_seconds_count', { provider: 'kakao' })).toBeUndefined();
  });
});
