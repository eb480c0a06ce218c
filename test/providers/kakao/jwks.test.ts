import type { JWK } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { ReceiverError } from '../../../src/errors.js';
import { createKeyResolver, type JwksOptions, type KeyResolver } from '../../../src/providers/kakao/jwks.js';
import { verifySet } from '../../../src/providers/kakao/verify-set.js';
import { createTestKey, KAKAO_ISSUER, setClaims, signSet, startJwksServer, TEST_AUDIENCE, type JwksServer, type TestKey } from '../../helpers/kakao-transmitter.js';
import { captureLogs } from '../../helpers/receiver.js';
import { waitFor } from '../../helpers/wait-for.js';

/** The key resolver against a real local JWKS server, through verifySet (no HTTP app). */
describe('Kakao JWKS key resolver', () => {
  let jwks: JwksServer | undefined;
  let resolver: KeyResolver | undefined;
  let logs: Record<string, unknown>[] = [];
  afterEach(async () => {
    resolver?.close();
    await jwks?.close();
    resolver = jwks = undefined;
  });

  async function start(keys: TestKey[], options: Partial<JwksOptions> = {}) {
    jwks = await startJwksServer(keys);
    const captured = captureLogs();
    logs = captured.lines;
    resolver = createKeyResolver({ uri: jwks.url, timeoutMs: 1000, cooldownMs: 30_000, cacheMaxAgeMs: 600_000, ...options }, captured.logger);
    return { jwks, resolver };
  }

  const verify = async (key: TestKey) =>
    verifySet(await signSet(key, setClaims()), { getKey: resolver!.getKey, issuer: KAKAO_ISSUER, audiences: [TEST_AUDIENCE], algorithms: ['RS256'] });

  /** The ReceiverError a verification ends in, and how long it took. */
  async function failure(key: TestKey) {
    const started = Date.now();
    const error = await verify(key).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ReceiverError);
    return { error: error as ReceiverError, ms: Date.now() - started };
  }

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** A published entry that signs with a real key but whose public JWK is broken. */
  const broken = async (kid: string, jwk: JWK): Promise<TestKey> => ({ ...(await createTestKey(kid)), publicJwk: { kty: 'RSA', kid, alg: 'RS256', use: 'sig', ...jwk } });
  const fetchFailureLogs = () => logs.filter((line) => String(line.msg).includes('fetch failed'));

  describe('several published keys with the token kid', () => {
    it('accepts the token when only the second one verifies it', async () => {
      const [first, second] = [await createTestKey('shared'), await createTestKey('shared')];
      await start([first, second]);
      const { header } = await verify(second);
      expect(header.kid).toBe('shared');
    });

    it('refuses as ERR_SET_KEY when none of them verifies it', async () => {
      await start([await createTestKey('shared'), await createTestKey('shared')]);
      const { error } = await failure(await createTestKey('shared'));
      expect(error.code).toBe('ERR_SET_KEY');
      expect(error.statusCode).toBe(400);
      expect(error.message).toBe('signature verification failed');
    });

    it('answers 503 when none of them can be imported', async () => {
      const signer = await broken('shared', { e: 'AQAB' });
      await start([signer, await broken('shared', { e: 'AQAB' })]);
      const { error } = await failure(signer);
      expect(error.code).toBe('ERR_JWKS_UNAVAILABLE');
    });
  });

  describe('a published key that cannot be used answers 503, without the cached-keys fallback', () => {
    it.each([
      ['does not import (no modulus)', { e: 'AQAB' }],
      ['imports, but its garbage modulus is under 2048 bits', { n: 'garbage', e: 'AQAB' }],
    ])('a key that %s', async (_name, jwk) => {
      const signer = await broken('kakao-key-1', jwk);
      await start([signer], { cooldownMs: 0, cacheMaxAgeMs: 1 });
      expect(await resolver!.warmUp()).toBe(true);
      await sleep(5); // stale: the old code took the fallback for any error once the cache was stale
      const { error } = await failure(signer);
      expect(error.code).toBe('ERR_JWKS_UNAVAILABLE');
      expect(error.statusCode).toBe(503);
      expect(error.retryAfter).toBeGreaterThan(0);
      expect(fetchFailureLogs()).toEqual([]);
      expect(logs.some((line) => String(line.msg).includes('cached keys'))).toBe(false);
    });
  });

  it('after a failed fetch, does not fetch again during the backoff: cached keys, or 503 at once', async () => {
    const key = await createTestKey('kakao-key-1');
    // Backoff = min(cooldown, 5 s) = 1 s. The cache is stale after 50 ms.
    const { jwks } = await start([key], { timeoutMs: 500, cooldownMs: 1000, cacheMaxAgeMs: 50 });
    await verify(key);
    expect(jwks.requests).toBe(1);
    await sleep(1050); // stale, and past the cooldown
    jwks.mode = 'hang';
    let started = Date.now();
    await verify(key); // pays the timeout once, then verifies with the cached key
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(jwks.requests).toBe(2);
    expect(fetchFailureLogs()).toHaveLength(1);

    // Made before the clock starts: generating an RSA key takes anywhere up to a few hundred ms.
    const rotated = await createTestKey('rotated-in');
    started = Date.now();
    await verify(key); // within the backoff: no fetch, cached key
    const { error, ms } = await failure(rotated); // unknown kid: no fetch, 503
    // Far below the 500 ms a fetch from the hanging JWKS would take.
    expect(Date.now() - started).toBeLessThan(300);
    expect(ms).toBeLessThan(200);
    expect(error.code).toBe('ERR_JWKS_UNAVAILABLE');
    expect(error.retryAfter).toBe(1);
    expect(jwks.requests).toBe(2);

    await sleep(1000); // the backoff is over: the next request looks again
    jwks.mode = 'up';
    await verify(key);
    expect(jwks.requests).toBe(3);
  });

  it('without keys, a request within the backoff answers 503 without fetching', async () => {
    const key = await createTestKey('kakao-key-1');
    const { jwks } = await start([key], { cooldownMs: 5000 });
    jwks.mode = 'error';
    expect((await failure(key)).error.code).toBe('ERR_JWKS_UNAVAILABLE');
    jwks.mode = 'up';
    const { error, ms } = await failure(key);
    expect(error.code).toBe('ERR_JWKS_UNAVAILABLE');
    expect(ms).toBeLessThan(200);
    expect(jwks.requests).toBe(1);
  });

  it('forgets the key it resolved for a kid when a refresh publishes other key material under that kid', async () => {
    const first = await createTestKey('kakao-key-1');
    const { jwks, resolver } = await start([first], { cacheMaxAgeMs: 2000 });
    expect(await resolver.warmUp()).toBe(true);
    await verify(first);
    await verify(first); // resolved once, then remembered
    const replaced = await createTestKey('kakao-key-1');
    const fetchedAt = resolver.lastFetchedAt()!;
    jwks.publish([replaced]);
    // The background refresh (every cacheMaxAge / 2) brings the new set.
    await waitFor(() => resolver.lastFetchedAt()! > fetchedAt, { what: 'a background refresh' });
    await verify(replaced);
    expect((await failure(first)).error.code).toBe('ERR_SET_KEY');
  });

  it('refreshes the keys in the background every cacheMaxAge / 2 once warmed up, until closed', async () => {
    const key = await createTestKey('kakao-key-1');
    // The refresh runs at most once a second: cacheMaxAge 2 s gives one refresh a second.
    const { jwks, resolver } = await start([key], { cacheMaxAgeMs: 2000 });
    expect(await resolver.warmUp()).toBe(true);
    expect(jwks.requests).toBe(1);
    const rotated = await createTestKey('rotated-in');
    jwks.publish([key, rotated]);
    await sleep(1300);
    expect(jwks.requests).toBe(2); // no request asked for it
    const requests = jwks.requests;
    await verify(rotated); // the refresh already brought the rotated key: no fetch
    expect(jwks.requests).toBe(requests);
    resolver.close();
    await sleep(1100);
    expect(jwks.requests).toBe(requests);
  });

  it('a refresh that fails is logged at warn, the refresh keeps going, and the cached keys stay in use', async () => {
    const key = await createTestKey('kakao-key-1');
    // cooldown 0: no backoff, so the second tick fetches too.
    const { jwks, resolver } = await start([key], { cacheMaxAgeMs: 2000, cooldownMs: 0 });
    await resolver.warmUp();
    jwks.mode = 'error';
    await sleep(2300);
    expect(jwks.requests).toBe(3);
    const warning = { level: 40, msg: 'JWKS fetch failed; the cached keys stay in use' };
    expect(fetchFailureLogs()).toMatchObject([warning, warning]);
    await verify(key);
  });
});
