import { createLocalJWKSet } from 'jose';
import { describe, expect, it } from 'vitest';
import type { WebhookEvent } from '../../src/events/envelope.js';
import { checkEventAge } from '../../src/providers/logto/check-event-age.js';
import { verifySet } from '../../src/providers/kakao/verify-set.js';
import type { QueueBackend } from '../../src/queue/backend.js';
import { createEventQueue } from '../../src/queue/event-queue.js';
import { createTestKey, KAKAO_ISSUER, setClaims, signSet, TEST_AUDIENCE } from '../helpers/kakao-transmitter.js';
import { testConfig } from '../helpers/test-config.js';

/** The dedupe key's lifetime (ms) that the event queue asks the store for, built from `config` as the service builds it. */
async function dedupeTtlMs(config: ReturnType<typeof testConfig>): Promise<number> {
  const ttls: number[] = [];
  const queue = {
    on() {},
    async add(_name: string, _data: unknown, opts: { deduplication: { ttl: number } }) {
      ttls.push(opts.deduplication.ttl);
    },
    async close() {},
  };
  const backend = { createQueue: () => queue, confirmStored: async () => {} } as unknown as QueueBackend;
  const events = createEventQueue({ backend, ...config.queue });
  const now = new Date().toISOString();
  const event: WebhookEvent = { id: 'e-1', provider: 'kakao', type: 'kakao.unknown', sourceType: 'uri', subject: null, occurredAt: now, receivedAt: now, data: {} };
  await events.enqueue([event]);
  await events.close();
  return ttls[0]!;
}

/**
 * A redelivery is recognised by its dedupe key, so the key must live as long as the event can be
 * accepted. An event whose signed time is ahead of our clock, within the skew we accept, stays
 * acceptable for that much longer than the window after it arrived.
 */
describe('the dedupe key outlives the acceptance of its event', () => {
  it('Kakao: a SET whose iat is as far ahead as accepted (60 s) is refused as too old by the time its key expires', async () => {
    const config = testConfig({ DEDUPE_WINDOW_SECONDS: '3600' });
    const kakao = config.kakaoAccountStatus!;
    const key = await createTestKey('kakao-key-1');
    const getKey = createLocalJWKSet({ keys: [key.publicJwk] });
    const arrived = 1_800_000_000_000; // epoch ms, a whole second
    const token = await signSet(key, setClaims({ iat: arrived / 1000 + kakao.maxFutureSkewSeconds }));
    const verify = (nowMs: number) =>
      verifySet(token, {
        getKey,
        issuer: KAKAO_ISSUER,
        audiences: [TEST_AUDIENCE],
        algorithms: ['RS256'],
        maxAgeSeconds: kakao.maxAgeSeconds,
        maxFutureSkewSeconds: kakao.maxFutureSkewSeconds,
        now: () => new Date(nowMs),
      });

    await expect(verify(arrived)).resolves.toBeDefined(); // accepted on arrival: within the skew
    const keyExpires = arrived + (await dedupeTtlMs(config));
    await expect(verify(keyExpires - 1000)).resolves.toBeDefined(); // still the same event: a redelivery, caught by its key
    await expect(verify(keyExpires)).rejects.toMatchObject({ code: 'ERR_SET_INVALID', message: expect.stringContaining('older than') });
  });

  it('Logto: an event whose createdAt is as far ahead as accepted (60 s) is refused as too old by the time its key expires', async () => {
    // The longest replay bound Logto allows: its maximum age equal to the dedupe window.
    const config = testConfig({ DEDUPE_WINDOW_SECONDS: '3600', LOGTO_SIGNING_KEYS: 'k', LOGTO_MAX_AGE_SECONDS: '3600' });
    const policy = config.logto!;
    const arrived = 1_800_000_000_000;
    const createdAt = new Date(arrived + policy.maxFutureSeconds * 1000).toISOString();
    const check = (nowMs: number) => () => checkEventAge(createdAt, policy, new Date(nowMs));

    expect(check(arrived)).not.toThrow();
    const keyExpires = arrived + (await dedupeTtlMs(config));
    expect(check(keyExpires - 1000)).not.toThrow();
    expect(check(keyExpires)).toThrow(expect.objectContaining({ code: 'ERR_EVENT_TOO_OLD' }));
  });
});
