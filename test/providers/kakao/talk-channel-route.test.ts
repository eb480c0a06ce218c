import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_ENV, allJobs, callKakao, channelBody, form, FORM, JSON_TYPE, KAKAO_USER_ID, resourceId, expectRefusedWithoutJob } from '../../helpers/kakao-admin.js';
import { startTestReceiver, useTestBackend, type TestReceiver, expectOutageAnswers503 } from '../../helpers/receiver.js';

const store = useTestBackend();

const URL_ = '/webhooks/kakao/talk-channel';

/** Every branch of POST /webhooks/kakao/talk-channel (issue 4, points 3, 6), through app.inject(). */
describe('POST /webhooks/kakao/talk-channel', () => {
  let r: TestReceiver;
  beforeEach(async () => {
    r = await startTestReceiver(store(), ADMIN_ENV);
  });
  afterEach(async () => {
    await r.close();
  });

  const post = (body: unknown, id: string | null = resourceId(), extra: { contentType?: string; key?: string | null } = {}) =>
    callKakao(r.app, {
      url: URL_,
      contentType: extra.contentType ?? JSON_TYPE,
      payload: typeof body === 'string' ? body : JSON.stringify(body),
      headers: id === null ? {} : { 'x-kakao-resource-id': id },
      ...(extra.key === undefined ? {} : { key: extra.key }),
    });
  const jobCount = async () => (await allJobs(r.inspect)).length;

  const expectRefused = (response: Awaited<ReturnType<typeof callKakao>>, status: number, error: string) =>
    expectRefusedWithoutJob(r.inspect, response, status, error);

  describe('accepts', () => {
    it('added: 200, empty body, a kakao.talk-channel.added job dated by updated_at', async () => {
      const response = await post(channelBody());
      expect(response.statusCode).toBe(200);
      expect(response.body).toBe('');
      const [job, ...rest] = await allJobs(r.inspect);
      expect(rest).toHaveLength(0);
      expect(job!.name).toBe('kakao.talk-channel.added');
      expect(job!.id).toBe(job!.data.id);
      expect(job!.data).toMatchObject({
        provider: 'kakao',
        type: 'kakao.talk-channel.added',
        sourceType: 'talk-channel.added',
        subject: { id: KAKAO_USER_ID, format: 'app_user_id' },
        occurredAt: '2025-01-15T09:30:00.000Z',
        data: channelBody(),
      });
    });

    it('blocked: a kakao.talk-channel.blocked job; an updated_at with an offset is read as such', async () => {
      const body = channelBody({ event: 'blocked', id_type: 'open_id', updated_at: '2025-01-15T18:30:00+09:00' });
      expect((await post(body)).statusCode).toBe(200);
      const [job] = await allJobs(r.inspect);
      expect(job!.name).toBe('kakao.talk-channel.blocked');
      expect(job!.data.occurredAt).toBe('2025-01-15T09:30:00.000Z');
      expect(job!.data.data.updated_at).toBe('2025-01-15T18:30:00+09:00'); // as sent
      expect(job!.data.subject).toEqual({ id: KAKAO_USER_ID, format: 'open_id' });
    });

    it('keeps keys Kakao may add (account_id for in-house apps, old names)', async () => {
      expect((await post(channelBody({ account_id: 42, plus_friend_uuid: '@old' }))).statusCode).toBe(200);
      const [job] = await allJobs(r.inspect);
      expect(job!.data.data).toMatchObject({ account_id: 42, plus_friend_uuid: '@old' });
    });

    it('a form-encoded body too', async () => {
      expect((await post(form(channelBody() as Record<string, string>), resourceId(), { contentType: FORM })).statusCode).toBe(200);
      expect((await allJobs(r.inspect))[0]!.name).toBe('kakao.talk-channel.added');
    });

    it('an unknown event value: acknowledged, counted, logged and queued as kakao.unknown', async () => {
      expect((await post(channelBody({ event: 'muted' }))).statusCode).toBe(200);
      const [job] = await allJobs(r.inspect);
      expect(job!.name).toBe('kakao.unknown');
      expect(job!.data.sourceType).toBe('talk-channel.muted');
      expect(job!.data.subject).toEqual({ id: KAKAO_USER_ID, format: 'app_user_id' });
      expect(job!.data.data).toEqual(channelBody({ event: 'muted' }));
      const metrics = await r.app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toMatch(/webhook_unknown_event_types_total\{provider="kakao"\} 1/);
      expect(r.logs.some((line) => line.eventType === 'talk-channel.muted')).toBe(true);
    });
  });

  describe('deduplicates on X-Kakao-Resource-ID', () => {
    it('the same id twice makes one job', async () => {
      const id = resourceId();
      expect((await post(channelBody(), id)).statusCode).toBe(200);
      expect((await post(channelBody(), id)).statusCode).toBe(200);
      expect(await jobCount()).toBe(1);
    });

    it('two ids make two jobs, even for equal bodies', async () => {
      await post(channelBody());
      await post(channelBody());
      expect(await jobCount()).toBe(2);
    });

    it('without the header: accepted and logged, and the same body twice still makes one job', async () => {
      expect((await post(channelBody(), null)).statusCode).toBe(200);
      expect((await post(channelBody(), null)).statusCode).toBe(200);
      expect((await post(channelBody({ event: 'blocked' }), null)).statusCode).toBe(200);
      expect(await jobCount()).toBe(2);
      expect(r.logs.some((line) => String(line.msg).includes('no X-Kakao-Resource-ID'))).toBe(true);
    });
  });

  describe('refuses, and queues nothing', () => {
    it('401 for a missing or wrong admin key, before looking at the body', async () => {
      await expectRefused(await post(channelBody(), resourceId(), { key: null }), 401, 'ERR_ADMIN_KEY_INVALID');
      await expectRefused(await post('{oops', resourceId(), { key: 'a'.repeat(32) }), 401, 'ERR_ADMIN_KEY_INVALID');
    });

    it.each([
      ['id missing', { id: undefined }],
      ['id empty', { id: '' }],
      ['id a number beyond 2^53', { id: 9007199254740993123 }],
      ['id_type missing', { id_type: undefined }],
      ['channel_public_id missing', { channel_public_id: undefined }],
      ['channel_uuid missing', { channel_uuid: undefined }],
      ['updated_at missing', { updated_at: undefined }],
      ['updated_at not a date', { updated_at: 'yesterday' }],
      ['event missing', { event: undefined }],
      ['event not a string', { event: 1 }],
    ])('400 for %s', async (_name, overrides) => {
      await expectRefused(await post(channelBody(overrides)), 400, 'ERR_PAYLOAD_INVALID');
    });

    it('400 for malformed JSON and for a body that is not an object', async () => {
      await expectRefused(await post('{"event":"added",'), 400, 'ERR_PAYLOAD_INVALID');
      await expectRefused(await post('"added"'), 400, 'ERR_PAYLOAD_INVALID');
    });

    it('413 past the body limit', async () => {
      await expectRefused(await post(channelBody({ padding: 'a'.repeat(70 * 1024) })), 413, 'ERR_BODY_TOO_LARGE');
    });

    it('404 for GET: Kakao sends this webhook by POST only', async () => {
      const response = await callKakao(r.app, { method: 'GET', url: `${URL_}?${form(channelBody() as Record<string, string>)}` });
      expect(response.statusCode).toBe(404);
      expect(await jobCount()).toBe(0);
    });
  });

  it('answers 503 with Retry-After when the queue is unavailable', async () => {
    await expectOutageAnswers503(ADMIN_ENV, (r2) =>
      callKakao(r2.app, { url: URL_, contentType: JSON_TYPE, payload: JSON.stringify(channelBody()), headers: { 'x-kakao-resource-id': resourceId() } }),
    );
  });
});
