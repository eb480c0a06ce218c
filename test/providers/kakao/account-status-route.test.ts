import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestKey, KAKAO_ISSUER, setClaims, signSet, TEST_AUDIENCE, UNLINKED, unsignedToken } from '../../helpers/kakao-transmitter.js';
import { postSet, startTestReceiver, useTestBackend, type TestReceiver, expectOutageAnswers503 } from '../../helpers/receiver.js';

/** Every branch of POST /webhooks/kakao/account-status (issue 2, point 4), through app.inject(). */
describe('POST /webhooks/kakao/account-status', () => {
  const store = useTestBackend();
  let r: TestReceiver;
  beforeEach(async () => {
    r = await startTestReceiver(store(), { KAKAO_AUDIENCE: `other-app,${TEST_AUDIENCE}` });
  });
  afterEach(async () => {
    await r.close();
  });

  const jobCount = async () => (await r.inspect.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed'])).length;

  async function expectRejected(response: Awaited<ReturnType<typeof postSet>>, status: number, err: string) {
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['content-language']).toBe('en');
    const body = response.json();
    expect(body.err).toBe(err);
    expect(typeof body.description).toBe('string');
    expect(await jobCount()).toBe(0);
    return body as { err: string; description: string };
  }

  describe('accepts', () => {
    it('answers 202 with an empty body once the event is a job in the queue', async () => {
      const claims = setClaims();
      const response = await postSet(r.app, await signSet(r.key, claims));
      expect(response.statusCode).toBe(202);
      expect(response.body).toBe('');
      const jobs = await r.inspect.getJobs(['waiting']);
      expect(jobs).toHaveLength(1);
      const job = jobs[0]!;
      expect(job.name).toBe('kakao.user-unlinked');
      expect(job.id).toBe(job.data.id);
      expect(job.data).toMatchObject({
        provider: 'kakao',
        type: 'kakao.user-unlinked',
        sourceType: UNLINKED,
        subject: { id: '9007199254740993123', iss: KAKAO_ISSUER },
        occurredAt: new Date((claims.toe as number) * 1000).toISOString(),
        transactionId: 'txn-1',
        data: { reason: 'UNLINK_FROM_APPS' },
      });
      expect(Date.parse(job.data.receivedAt)).toBeGreaterThan(Date.now() - 10_000);
    });

    it('tolerates parameters on the content type and accepts application/jwt', async () => {
      expect((await postSet(r.app, await signSet(r.key, setClaims()), 'application/secevent+jwt; charset=utf-8')).statusCode).toBe(202);
      expect((await postSet(r.app, await signSet(r.key, setClaims()), 'application/jwt')).statusCode).toBe(202);
      expect(await jobCount()).toBe(2);
    });

    it('accepts any configured audience, and aud as an array', async () => {
      expect((await postSet(r.app, await signSet(r.key, setClaims({ aud: 'other-app' })))).statusCode).toBe(202);
      expect((await postSet(r.app, await signSet(r.key, setClaims({ aud: ['x', TEST_AUDIENCE] })))).statusCode).toBe(202);
    });

    it('accepts a token issued hours ago (redeliveries keep their iat) and 50 s in the future (clock skew)', async () => {
      const now = Math.floor(Date.now() / 1000);
      expect((await postSet(r.app, await signSet(r.key, setClaims({ iat: now - 6 * 3600, toe: undefined })))).statusCode).toBe(202);
      expect((await postSet(r.app, await signSet(r.key, setClaims({ iat: now + 50 })))).statusCode).toBe(202);
      const occurred = (await r.inspect.getJobs(['waiting'])).map((job) => job.data.occurredAt);
      expect(occurred).toContain(new Date((now - 6 * 3600) * 1000).toISOString());
    });

    it('accepts a token without typ, and logs that it had none', async () => {
      const response = await postSet(r.app, await signSet(r.key, setClaims(), { typ: null }));
      expect(response.statusCode).toBe(202);
      expect(r.logs.some((line) => String(line.msg).includes('no typ'))).toBe(true);
    });

    it('accepts typ written as a full media type', async () => {
      expect((await postSet(r.app, await signSet(r.key, setClaims(), { typ: 'application/secevent+jwt' }))).statusCode).toBe(202);
    });

    it('reads the subject from sub_id (SSF 1.0) when there is no sub', async () => {
      const claims = setClaims({ sub: undefined, sub_id: { format: 'iss_sub', iss: KAKAO_ISSUER, sub: '12345' }, events: { [UNLINKED]: {} } });
      expect((await postSet(r.app, await signSet(r.key, claims))).statusCode).toBe(202);
      const [job] = await r.inspect.getJobs(['waiting']);
      expect(job!.data.subject).toEqual({ id: '12345', format: 'iss_sub', iss: KAKAO_ISSUER });
    });

    it('reads the subject from the event when neither sub nor sub_id is present', async () => {
      const claims = setClaims({ sub: undefined, events: { [UNLINKED]: { subject: { subject_type: 'iss-sub', iss: KAKAO_ISSUER, sub: '777' } } } });
      expect((await postSet(r.app, await signSet(r.key, claims))).statusCode).toBe(202);
      const [job] = await r.inspect.getJobs(['waiting']);
      expect(job!.data.subject).toMatchObject({ id: '777', format: 'iss-sub' });
    });

    it('makes one job per event when a SET carries several', async () => {
      const claims = setClaims({
        events: {
          'https://schemas.openid.net/secevent/risc/event-type/account-disabled': { reason: 'hijacking' },
          'https://schemas.openid.net/secevent/caep/event-type/credential-change': { credential_type: 'password', change_type: 'update' },
        },
      });
      expect((await postSet(r.app, await signSet(r.key, claims))).statusCode).toBe(202);
      const names = (await r.inspect.getJobs(['waiting'])).map((job) => job.name).sort();
      expect(names).toEqual(['kakao.account-disabled', 'kakao.credential-change']);
    });

    it('acknowledges an unknown event type, counts it, and queues it for catch-all handlers', async () => {
      const uri = 'https://schemas.example.com/event-type/something-new';
      expect((await postSet(r.app, await signSet(r.key, setClaims({ events: { [uri]: { x: 1 } } })))).statusCode).toBe(202);
      const [job] = await r.inspect.getJobs(['waiting']);
      expect(job!.name).toBe('kakao.unknown');
      expect(job!.data.sourceType).toBe(uri);
      const metrics = await r.app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toMatch(/webhook_unknown_event_types_total\{provider="kakao"\} 1/);
      expect(r.logs.some((line) => line.eventType === uri)).toBe(true);
    });

    it('names the SSF verification and stream-updated events', async () => {
      const ssf = 'https://schemas.openid.net/secevent/ssf/event-type/';
      const claims = setClaims({ sub: undefined, sub_id: { format: 'opaque', id: 'stream-1' }, events: { [`${ssf}verification`]: { state: 'abc' } } });
      expect((await postSet(r.app, await signSet(r.key, claims))).statusCode).toBe(202);
      const claims2 = setClaims({ sub: undefined, events: { [`${ssf}stream-updated`]: { status: 'paused' } } });
      expect((await postSet(r.app, await signSet(r.key, claims2))).statusCode).toBe(202);
      expect((await r.inspect.getJobs(['waiting'])).map((job) => job.name).sort()).toEqual(['kakao.ssf-stream-updated', 'kakao.ssf-verification']);
    });

    it('creates no second job when the same token is delivered again', async () => {
      const token = await signSet(r.key, setClaims());
      expect((await postSet(r.app, token)).statusCode).toBe(202);
      expect((await postSet(r.app, token)).statusCode).toBe(202);
      expect(await jobCount()).toBe(1);
    });

    it('creates no second job for a re-signed token with the same iss and jti', async () => {
      const claims = setClaims();
      expect((await postSet(r.app, await signSet(r.key, claims))).statusCode).toBe(202);
      expect((await postSet(r.app, await signSet(r.key, { ...claims, iat: (claims.iat as number) + 60 }))).statusCode).toBe(202);
      expect(await jobCount()).toBe(1);
    });
  });

  describe('refuses the request', () => {
    it('415 for a JSON body, nothing queued', async () => {
      const response = await postSet(r.app, JSON.stringify({ events: {} }), 'application/json');
      await expectRejected(response, 415, 'invalid_request');
    });

    it('413 past the body limit', async () => {
      const big = `${'a'.repeat(70 * 1024)}.b.c`;
      await expectRejected(await postSet(r.app, big), 413, 'invalid_request');
    });

    it('400 invalid_request for a body that is not a compact JWS', async () => {
      await expectRejected(await postSet(r.app, 'not a token'), 400, 'invalid_request');
      await expectRejected(await postSet(r.app, 'a.b.c.d.e'), 400, 'invalid_request');
      await expectRejected(await postSet(r.app, '!!!.e30.sig'), 400, 'invalid_request');
    });

    it('400 invalid_request for alg none, HMAC and algorithms outside the allowlist', async () => {
      const claims = setClaims();
      await expectRejected(await postSet(r.app, unsignedToken({ alg: 'none', typ: 'secevent+jwt', kid: r.key.kid }, claims)), 400, 'invalid_request');
      await expectRejected(await postSet(r.app, unsignedToken({ alg: 'HS256', typ: 'secevent+jwt', kid: r.key.kid }, claims, 'c2ln')), 400, 'invalid_request');
      const rs384Key = await createTestKey(r.key.kid, 'RS384');
      const rs384 = await signSet(rs384Key, claims, { alg: 'RS384' });
      await expectRejected(await postSet(r.app, rs384), 400, 'invalid_request');
    });

    it('400 invalid_request without kid', async () => {
      await expectRejected(await postSet(r.app, await signSet(r.key, setClaims(), { kid: null })), 400, 'invalid_request');
    });

    it('400 invalid_request for a typ other than secevent+jwt', async () => {
      await expectRejected(await postSet(r.app, await signSet(r.key, setClaims(), { typ: 'JWT' })), 400, 'invalid_request');
    });

    it('400 invalid_key for a bad signature', async () => {
      const token = await signSet(r.key, setClaims());
      const [header] = token.split('.');
      const forged = Buffer.from(JSON.stringify({ ...setClaims(), aud: TEST_AUDIENCE })).toString('base64url');
      await expectRejected(await postSet(r.app, `${header}.${forged}.${token.split('.')[2]}`), 400, 'invalid_key');
    });

    it('400 invalid_key for a kid that a fresh JWKS fetch shows is absent', async () => {
      const r2 = await startTestReceiver(store(), { JWKS_COOLDOWN_MS: '0' });
      try {
        const stranger = await createTestKey('not-published');
        const before = r2.jwks.requests;
        const response = await postSet(r2.app, await signSet(stranger, setClaims()));
        expect(response.statusCode).toBe(400);
        expect(response.json().err).toBe('invalid_key');
        expect(r2.jwks.requests).toBe(before + 1); // it looked again before refusing
      } finally {
        await r2.close();
      }
    });

    it('400 invalid_issuer without echoing the expected issuer', async () => {
      const body = await expectRejected(await postSet(r.app, await signSet(r.key, setClaims({ iss: 'https://evil.example' }))), 400, 'invalid_issuer');
      expect(body.description).not.toContain(KAKAO_ISSUER);
      expect(body.description).not.toContain('kauth');
    });

    it('400 invalid_audience without echoing the expected audience', async () => {
      const body = await expectRejected(await postSet(r.app, await signSet(r.key, setClaims({ aud: 'someone-else' }))), 400, 'invalid_audience');
      expect(body.description).not.toContain(TEST_AUDIENCE);
    });

    it.each([
      ['iat missing', { iat: undefined }],
      ['iat more than 60 s in the future', { iat: Math.floor(Date.now() / 1000) + 120 }],
      ['iat older than the dedupe window (a replay cannot be told from a redelivery)', { iat: Math.floor(Date.now() / 1000) - 7 * 24 * 3600 - 60 }],
      ['jti missing', { jti: undefined }],
      ['jti empty', { jti: '' }],
      ['events missing', { events: undefined }],
      ['events empty', { events: {} }],
      ['events not an object', { events: 'user-unlinked' }],
      ['an event that is not an object', { events: { [UNLINKED]: 'yes' } }],
      ['sub and the event subject naming different users', { sub: '1', events: { [UNLINKED]: { subject: { sub: '2' } } } }],
      ['a numeric sub beyond 2^53', { sub: 9007199254740993123, events: { [UNLINKED]: {} } }],
    ])('400 invalid_request for %s', async (_name, overrides) => {
      await expectRejected(await postSet(r.app, await signSet(r.key, setClaims(overrides))), 400, 'invalid_request');
    });
  });

  describe('our own faults answer 503 with Retry-After, never 202 or 400', () => {
    it('an unknown kid while the JWKS refetch is cooling down', async () => {
      const stranger = await createTestKey('rotated-in');
      const response = await postSet(r.app, await signSet(stranger, setClaims()));
      expect(response.statusCode).toBe(503);
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      expect(await jobCount()).toBe(0);
    });

    it('after the cooldown, a rotated key is fetched and the retry is accepted', async () => {
      const r2 = await startTestReceiver(store(), { JWKS_COOLDOWN_MS: '1500' });
      try {
        const rotated = await createTestKey('rotated-in');
        const token = await signSet(rotated, setClaims());
        r2.jwks.publish([r2.key, rotated]);
        expect((await postSet(r2.app, token)).statusCode).toBe(503);
        await new Promise((resolve) => setTimeout(resolve, 1600));
        expect((await postSet(r2.app, token)).statusCode).toBe(202);
      } finally {
        await r2.close();
      }
    });

    it('the JWKS unreachable while the key is unknown, within the time limit', async () => {
      const r2 = await startTestReceiver(store(), { JWKS_COOLDOWN_MS: '0' }, { warm: false });
      try {
        r2.jwks.mode = 'hang';
        const started = Date.now();
        const response = await postSet(r2.app, await signSet(r2.key, setClaims()));
        expect(response.statusCode).toBe(503);
        expect(Date.now() - started).toBeLessThan(1500);
        expect(response.headers['retry-after']).toBeDefined();
        r2.jwks.mode = 'error';
        expect((await postSet(r2.app, await signSet(r2.key, setClaims()))).statusCode).toBe(503);
        r2.jwks.mode = 'up';
        expect((await postSet(r2.app, await signSet(r2.key, setClaims()))).statusCode).toBe(202);
      } finally {
        await r2.close();
      }
    });

    it('keeps verifying with cached keys when the cache is stale and the JWKS is down', async () => {
      const r2 = await startTestReceiver(store(), { JWKS_CACHE_MAX_AGE_MS: '1', JWKS_COOLDOWN_MS: '0' });
      try {
        r2.jwks.mode = 'error';
        await new Promise((resolve) => setTimeout(resolve, 5));
        expect((await postSet(r2.app, await signSet(r2.key, setClaims()))).statusCode).toBe(202);
      } finally {
        await r2.close();
      }
    });

    it('the queue unavailable', async () => {
      await expectOutageAnswers503({}, async (r2) => postSet(r2.app, await signSet(r2.key, setClaims())));
    });
  });

  it('fetches the JWKS once at start-up, so the first event does not wait for it', async () => {
    expect(r.jwks.requests).toBe(1);
    expect((await postSet(r.app, await signSet(r.key, setClaims()))).statusCode).toBe(202);
    expect(r.jwks.requests).toBe(1);
  });
});
