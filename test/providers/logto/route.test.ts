import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOGTO_EVENT_TYPES } from '../../../src/providers/logto/events.js';
import {
  consoleInteractionTestPayload,
  consoleTestPayload,
  LOGTO_KEY,
  LOGTO_OLD_KEY,
  postLogto,
  signLogto,
  userDataUpdated,
} from '../../helpers/logto-signer.js';
import { startTestReceiver, useTestBackend, type TestReceiver, expectOutageAnswers503 } from '../../helpers/receiver.js';

const store = useTestBackend();

/** Every branch of POST /webhooks/logto (issue 3), through app.inject() and the real Redis queue. */
describe('POST /webhooks/logto', () => {
  let r: TestReceiver;
  beforeEach(async () => {
    // The new key first, the previous one second, as during a rotation.
    r = await startTestReceiver(store(), { LOGTO_SIGNING_KEYS: `${LOGTO_KEY},${LOGTO_OLD_KEY}`, LOGTO_BODY_LIMIT: String(1024 * 1024) });
  });
  afterEach(async () => {
    await r.close();
  });

  const jobCount = async () => (await r.inspect.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed'])).length;
  const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

  async function expectRefused(response: Awaited<ReturnType<typeof postLogto>>, status: number, error: string) {
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const body = response.json() as { error: string; message: string };
    expect(body.error).toBe(error);
    expect(typeof body.message).toBe('string');
    expect(await jobCount()).toBe(0);
    return body;
  }

  describe('accepts', () => {
    it('answers 200 with an empty body once the event is a job in the queue', async () => {
      const payload = userDataUpdated({ userId: 'u1a2b3c4d5e6' });
      const raw = JSON.stringify(payload);
      const response = await postLogto(r.app, raw);
      expect(response.statusCode).toBe(200);
      expect(response.body).toBe('');
      const jobs = await r.inspect.getJobs(['waiting']);
      expect(jobs).toHaveLength(1);
      const job = jobs[0]!;
      expect(job.name).toBe('logto.User.Data.Updated');
      expect(job.id).toBe(`logto-${createHash('sha256').update(raw).digest('hex')}`);
      expect(job.data).toEqual({
        id: job.id,
        provider: 'logto',
        type: 'logto.User.Data.Updated',
        sourceType: 'User.Data.Updated',
        subject: { id: 'u1a2b3c4d5e6' },
        occurredAt: payload.createdAt,
        receivedAt: expect.any(String),
        data: payload,
      });
      expect(Date.parse(job.data.receivedAt)).toBeGreaterThan(Date.now() - 10_000);
    });

    it('verifies the exact bytes sent, whatever their formatting or characters', async () => {
      const pretty = JSON.stringify({ ...userDataUpdated(), note: 'Zoë 😀 </script>' }, null, 2);
      expect((await postLogto(r.app, pretty)).statusCode).toBe(200);
      const [job] = await r.inspect.getJobs(['waiting']);
      expect(job!.data.data.note).toBe('Zoë 😀 </script>');
    });

    it('accepts the previous key during a rotation, with the same answer as the new key', async () => {
      const withNew = await postLogto(r.app, userDataUpdated(), { key: LOGTO_KEY });
      const withOld = await postLogto(r.app, userDataUpdated(), { key: LOGTO_OLD_KEY });
      expect(withOld.statusCode).toBe(200);
      expect([withOld.statusCode, withOld.body]).toEqual([withNew.statusCode, withNew.body]);
      expect(await jobCount()).toBe(2);
      expect(r.logs.filter((line) => line.msg === 'Logto event accepted').map((line) => line.keyIndex)).toEqual([0, 1]);
    });

    it('accepts a sha256= prefix and upper-case hex', async () => {
      const raw = JSON.stringify(userDataUpdated());
      expect((await postLogto(r.app, raw, { signature: `sha256=${signLogto(LOGTO_KEY, raw)}` })).statusCode).toBe(200);
      const raw2 = JSON.stringify(userDataUpdated());
      expect((await postLogto(r.app, raw2, { signature: signLogto(LOGTO_KEY, raw2).toUpperCase() })).statusCode).toBe(200);
      expect(await jobCount()).toBe(2);
    });

    it('tolerates a charset and +json media types (a hook can override content-type)', async () => {
      expect((await postLogto(r.app, userDataUpdated(), { contentType: 'application/json; charset=utf-8' })).statusCode).toBe(200);
      expect((await postLogto(r.app, userDataUpdated(), { contentType: 'application/vnd.test+json' })).statusCode).toBe(200);
      expect(await jobCount()).toBe(2);
    });

    it('answers success to an exact redelivery and creates no second job', async () => {
      const raw = JSON.stringify(userDataUpdated());
      expect((await postLogto(r.app, raw)).statusCode).toBe(200);
      expect((await postLogto(r.app, raw)).statusCode).toBe(200);
      expect(await jobCount()).toBe(1);
    });

    it('treats a body that differs by one byte as another delivery', async () => {
      const payload = userDataUpdated();
      expect((await postLogto(r.app, JSON.stringify(payload))).statusCode).toBe(200);
      expect((await postLogto(r.app, `${JSON.stringify(payload)} `)).statusCode).toBe(200);
      expect(await jobCount()).toBe(2);
    });

    it.each(Object.keys(LOGTO_EVENT_TYPES))('accepts the console test payload of %s', async (name) => {
      const event = name.slice('logto.'.length);
      const payload = LOGTO_EVENT_TYPES[name as keyof typeof LOGTO_EVENT_TYPES] === 'interaction'
        ? consoleInteractionTestPayload(event)
        : consoleTestPayload(event);
      expect((await postLogto(r.app, payload)).statusCode).toBe(200);
      const [job] = await r.inspect.getJobs(['waiting']);
      expect(job!.name).toBe(name);
      expect(job!.data.subject).toBeNull();
    });

    it('acknowledges an unknown event type, counts it, logs it, and queues it for catch-all handlers', async () => {
      const payload = { event: 'User.SomethingNew', createdAt: new Date().toISOString(), hookId: 'h1', data: { id: 'u1' } };
      expect((await postLogto(r.app, payload)).statusCode).toBe(200);
      const [job] = await r.inspect.getJobs(['waiting']);
      expect(job!.name).toBe('logto.unknown');
      expect(job!.data).toMatchObject({ type: 'logto.unknown', sourceType: 'User.SomethingNew', data: payload });
      const metrics = await r.app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toMatch(/webhook_unknown_event_types_total\{provider="logto"\} 1/);
      expect(metrics.body).toMatch(/webhook_events_accepted_total\{provider="logto",type="logto.unknown"\} 1/);
      expect(r.logs.some((line) => line.eventType === 'User.SomethingNew')).toBe(true);
    });

    it('accepts an Organization.Membership.Updated of ~0.5 MB, past the general body limit', async () => {
      const ids = Array.from({ length: 20_000 }, (_, index) => `u${String(index).padStart(11, '0')}`);
      const payload = {
        event: 'Organization.Membership.Updated', createdAt: new Date().toISOString(), path: '/organizations/o1/users', method: 'PUT',
        status: 204, params: { id: 'o1' }, matchedRoute: '/organizations/:id/users', organizationId: 'o1',
        addedUserIds: ids.slice(0, 10_000), removedUserIds: ids.slice(10_000), hookId: 'h1',
      };
      const raw = JSON.stringify(payload);
      expect(raw.length).toBeGreaterThan(r.config.http.bodyLimit * 4);
      const res = await postLogto(r.app, raw);
      if (res.statusCode !== 200) (await import('node:fs')).writeFileSync('/tmp/debug.json', JSON.stringify(r.logs.filter((l) => (l.level as number) >= 40)));
      expect(res.statusCode).toBe(200);
      expect(await jobCount()).toBe(1);
    });

    it('accepts an event 9 minutes old or 50 s in the future', async () => {
      expect((await postLogto(r.app, userDataUpdated({ createdAt: minutesAgo(9) }))).statusCode).toBe(200);
      expect((await postLogto(r.app, userDataUpdated({ createdAt: new Date(Date.now() + 50_000).toISOString() }))).statusCode).toBe(200);
    });

    it('accepts any age when LOGTO_MAX_AGE_SECONDS is 0', async () => {
      const r2 = await startTestReceiver(store(), { LOGTO_SIGNING_KEYS: LOGTO_KEY, LOGTO_MAX_AGE_SECONDS: '0' });
      try {
        expect((await postLogto(r2.app, userDataUpdated({ createdAt: minutesAgo(24 * 60) }))).statusCode).toBe(200);
        // The future bound still holds.
        expect((await postLogto(r2.app, userDataUpdated({ createdAt: new Date(Date.now() + 120_000).toISOString() }))).statusCode).toBe(422);
      } finally {
        await r2.close();
      }
    });
  });

  describe('refuses the request', () => {
    it('401 without a signature, saying nothing of the expected value', async () => {
      const payload = userDataUpdated();
      const body = await expectRefused(await postLogto(r.app, payload, { signature: null }), 401, 'ERR_SIGNATURE_MISSING');
      expect(JSON.stringify(body)).not.toContain(signLogto(LOGTO_KEY, JSON.stringify(payload)));
    });

    it('401 for an unsigned request before its body is read (even one past the body limit)', async () => {
      const huge = JSON.stringify({ ...userDataUpdated(), pad: 'x'.repeat(2 * 1024 * 1024) });
      await expectRefused(await postLogto(r.app, huge, { signature: null }), 401, 'ERR_SIGNATURE_MISSING');
    });

    it('401 for a malformed signature before its body is read (even one past the body limit)', async () => {
      const huge = JSON.stringify({ ...userDataUpdated(), pad: 'x'.repeat(2 * 1024 * 1024) });
      await expectRefused(await postLogto(r.app, huge, { signature: 'not-a-hex-digest' }), 401, 'ERR_SIGNATURE_INVALID');
    });

    it('401 for a signature made with a key we do not hold, saying nothing of the expected value', async () => {
      const payload = userDataUpdated();
      const body = await expectRefused(await postLogto(r.app, payload, { key: 'an-attackers-key' }), 401, 'ERR_SIGNATURE_INVALID');
      const text = JSON.stringify(body);
      expect(text).not.toContain(signLogto(LOGTO_KEY, JSON.stringify(payload)));
      expect(text).not.toContain(signLogto(LOGTO_OLD_KEY, JSON.stringify(payload)));
      expect(text).not.toContain(LOGTO_KEY);
    });

    it('401 for a body re-serialized on the way (other key order or whitespace)', async () => {
      const payload = userDataUpdated();
      const signature = signLogto(LOGTO_KEY, JSON.stringify(payload));
      const { hookId, ...rest } = payload;
      for (const changed of [JSON.stringify({ hookId, ...rest }), JSON.stringify(payload, null, 2), `${JSON.stringify(payload)}\n`]) {
        await expectRefused(await postLogto(r.app, changed, { signature }), 401, 'ERR_SIGNATURE_INVALID');
      }
    });

    it('401 for a malformed signature header', async () => {
      const raw = JSON.stringify(userDataUpdated());
      const good = signLogto(LOGTO_KEY, raw);
      for (const signature of [good.slice(0, 63), `${good}0`, 'not-hex', `sha1=${good}`]) {
        await expectRefused(await postLogto(r.app, raw, { signature }), 401, 'ERR_SIGNATURE_INVALID');
      }
    });

    it('401 before JSON: an unsigned malformed body gets 401, not 400', async () => {
      await expectRefused(await postLogto(r.app, '{not json', { signature: null }), 401, 'ERR_SIGNATURE_MISSING');
      await expectRefused(await postLogto(r.app, '{not json', { signature: 'a'.repeat(64) }), 401, 'ERR_SIGNATURE_INVALID');
    });

    it.each([
      ['malformed JSON', '{"event":"User.Created",'],
      ['an empty body', ''],
      ['a JSON array', '[]'],
      ['a JSON string', '"User.Created"'],
      ['no event', JSON.stringify({ createdAt: new Date().toISOString(), hookId: 'h1' })],
      ['no createdAt', JSON.stringify({ event: 'User.Created', hookId: 'h1' })],
      ['a createdAt that is no date-time', JSON.stringify({ event: 'User.Created', createdAt: 'yesterday' })],
      ['an event that is not a string', JSON.stringify({ event: 5, createdAt: new Date().toISOString() })],
      ['a userId that is not a string', JSON.stringify({ event: 'PostSignIn', createdAt: new Date().toISOString(), userId: 123 })],
    ])('400 for a signed body with %s', async (_name, raw) => {
      await expectRefused(await postLogto(r.app, raw), 400, 'ERR_PAYLOAD_INVALID');
    });

    it('422 for an event older than the tolerance', async () => {
      await expectRefused(await postLogto(r.app, userDataUpdated({ createdAt: minutesAgo(11) })), 422, 'ERR_EVENT_TOO_OLD');
    });

    it('422 for an event more than 60 s in the future', async () => {
      const createdAt = new Date(Date.now() + 120_000).toISOString();
      await expectRefused(await postLogto(r.app, userDataUpdated({ createdAt })), 422, 'ERR_EVENT_IN_FUTURE');
    });

    it('applies a configured tolerance', async () => {
      const r2 = await startTestReceiver(store(), { LOGTO_SIGNING_KEYS: LOGTO_KEY, LOGTO_MAX_AGE_SECONDS: '60' });
      try {
        expect((await postLogto(r2.app, userDataUpdated({ createdAt: minutesAgo(2) }))).statusCode).toBe(422);
        expect((await postLogto(r2.app, userDataUpdated({ createdAt: minutesAgo(0.5) }))).statusCode).toBe(200);
      } finally {
        await r2.close();
      }
    });

    it('415 for a media type that is not JSON', async () => {
      await expectRefused(await postLogto(r.app, userDataUpdated(), { contentType: 'text/plain' }), 415, 'ERR_UNSUPPORTED_MEDIA_TYPE');
      await expectRefused(await postLogto(r.app, userDataUpdated(), { contentType: 'application/x-www-form-urlencoded' }), 415, 'ERR_UNSUPPORTED_MEDIA_TYPE');
    });

    it('413 past LOGTO_BODY_LIMIT', async () => {
      const big = JSON.stringify({ ...userDataUpdated(), pad: 'x'.repeat(1024 * 1024) });
      await expectRefused(await postLogto(r.app, big), 413, 'ERR_BODY_TOO_LARGE');
    });
  });

  it('answers 503 with Retry-After when the queue is down, whichever key verified', async () => {
    const keys = [LOGTO_KEY, LOGTO_OLD_KEY];
    await expectOutageAnswers503({ LOGTO_SIGNING_KEYS: keys.join(',') }, (r2) => postLogto(r2.app, userDataUpdated(), { key: keys.shift()! }), 2);
  });

  it('does not exist when LOGTO_SIGNING_KEYS is unset', async () => {
    const r2 = await startTestReceiver(store());
    try {
      expect((await postLogto(r2.app, userDataUpdated())).statusCode).toBe(404);
    } finally {
      await r2.close();
    }
  });
});
