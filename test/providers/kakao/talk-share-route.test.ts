import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_ENV, allJobs, callKakao, form, FORM, JSON_TYPE, resourceId, expectRefusedWithoutJob } from '../../helpers/kakao-admin.js';
import { startTestReceiver, useTestBackend, type TestReceiver, expectOutageAnswers503 } from '../../helpers/receiver.js';

const store = useTestBackend();

const URL_ = '/webhooks/kakao/talk-share';
const shareParams = (overrides: Record<string, string> = {}) => ({
  CHAT_TYPE: 'MultiChat',
  HASH_CHAT_ID: 'a1b2c3d4e5f6',
  TEMPLATE_ID: '12345',
  x_share_id: 'share-42', // a serverCallbackArgs entry of the service
  ...overrides,
});

/** Every branch of GET and POST /webhooks/kakao/talk-share (issue 4, points 4, 6), through app.inject(). */
describe('GET|POST /webhooks/kakao/talk-share', () => {
  let r: TestReceiver;
  beforeEach(async () => {
    r = await startTestReceiver(store(), ADMIN_ENV);
  });
  afterEach(async () => {
    await r.close();
  });

  const jobCount = async () => (await allJobs(r.inspect)).length;
  const get = (params: Record<string, string>, id: string | null = resourceId(), key?: string | null) =>
    callKakao(r.app, {
      method: 'GET',
      url: `${URL_}?${form(params)}`,
      headers: id === null ? {} : { 'x-kakao-resource-id': id },
      ...(key === undefined ? {} : { key }),
    });
  const postJson = (payload: string, id = resourceId()) =>
    callKakao(r.app, { url: URL_, contentType: JSON_TYPE, payload, headers: { 'x-kakao-resource-id': id } });

  const expectRefused = (response: Awaited<ReturnType<typeof callKakao>>, status: number, error: string) =>
    expectRefusedWithoutJob(r.inspect, response, status, error);

  describe('accepts', () => {
    it('a GET: 200, empty body, a kakao.talk-share.sent job with every parameter kept as a string', async () => {
      const response = await get(shareParams());
      expect(response.statusCode).toBe(200);
      expect(response.body).toBe('');
      const [job, ...rest] = await allJobs(r.inspect);
      expect(rest).toHaveLength(0);
      expect(job!.name).toBe('kakao.talk-share.sent');
      expect(job!.id).toBe(job!.data.id);
      expect(job!.data).toMatchObject({ provider: 'kakao', type: 'kakao.talk-share.sent', sourceType: 'talk-share', subject: null });
      expect(job!.data.data).toEqual(shareParams());
    });

    it('a JSON POST: custom arguments of any JSON type and a numeric TEMPLATE_ID kept as they came', async () => {
      const body = { CHAT_TYPE: 'MemoChat', HASH_CHAT_ID: 'h', TEMPLATE_ID: 12345, x_share_id: 'share-1', x_items: [1, 2], x_meta: { a: 'b' }, x_flag: true };
      expect((await postJson(JSON.stringify(body))).statusCode).toBe(200);
      const [job] = await allJobs(r.inspect);
      expect(job!.data.data).toEqual(body);
    });

    it('a form POST, without TEMPLATE_ID (a share that used no template)', async () => {
      const { TEMPLATE_ID: _omitted, ...params } = shareParams();
      const response = await callKakao(r.app, { url: URL_, contentType: FORM, payload: form(params), headers: { 'x-kakao-resource-id': resourceId() } });
      expect(response.statusCode).toBe(200);
      const [job] = await allJobs(r.inspect);
      expect(job!.data.data).toEqual(params);
    });

    it('a custom argument given twice, kept as both values', async () => {
      const response = await callKakao(r.app, { method: 'GET', url: `${URL_}?${form(shareParams())}&x_tag=a&x_tag=b`, headers: { 'x-kakao-resource-id': resourceId() } });
      expect(response.statusCode).toBe(200);
      expect((await allJobs(r.inspect))[0]!.data.data.x_tag).toEqual(['a', 'b']);
    });
  });

  describe('deduplicates on X-Kakao-Resource-ID', () => {
    it('the same id twice (GET, then POST) makes one job; another id another job', async () => {
      const id = resourceId();
      expect((await get(shareParams(), id)).statusCode).toBe(200);
      expect((await postJson(JSON.stringify(shareParams()), id)).statusCode).toBe(200);
      expect(await jobCount()).toBe(1);
      expect((await get(shareParams(), resourceId())).statusCode).toBe(200);
      expect(await jobCount()).toBe(2);
    });

    it('without the header: accepted; equal parameters make one job, different ones two', async () => {
      expect((await get(shareParams(), null)).statusCode).toBe(200);
      expect((await get(shareParams(), null)).statusCode).toBe(200);
      expect((await get(shareParams({ x_share_id: 'share-43' }), null)).statusCode).toBe(200);
      expect(await jobCount()).toBe(2);
    });
  });

  describe('refuses, and queues nothing', () => {
    it('401 for a missing or wrong admin key', async () => {
      await expectRefused(await get(shareParams(), resourceId(), null), 401, 'ERR_ADMIN_KEY_INVALID');
      await expectRefused(await get(shareParams(), resourceId(), 'b'.repeat(32)), 401, 'ERR_ADMIN_KEY_INVALID');
    });

    it.each([
      ['CHAT_TYPE missing', { CHAT_TYPE: undefined }],
      ['HASH_CHAT_ID missing', { HASH_CHAT_ID: undefined }],
      ['HASH_CHAT_ID empty', { HASH_CHAT_ID: '' }],
      ['TEMPLATE_ID an object', { TEMPLATE_ID: { id: 1 } }],
    ])('400 for %s', async (_name, overrides) => {
      await expectRefused(await postJson(JSON.stringify({ ...shareParams(), ...overrides })), 400, 'ERR_PAYLOAD_INVALID');
    });

    it('400 for malformed JSON', async () => {
      await expectRefused(await postJson('{"CHAT_TYPE":'), 400, 'ERR_PAYLOAD_INVALID');
    });

    it('413 past the body limit', async () => {
      await expectRefused(await postJson(JSON.stringify(shareParams({ x_big: 'a'.repeat(70 * 1024) }))), 413, 'ERR_BODY_TOO_LARGE');
    });
  });

  it('answers 503 with Retry-After when the queue is unavailable', async () => {
    await expectOutageAnswers503(ADMIN_ENV, (r2) =>
      callKakao(r2.app, { method: 'GET', url: `${URL_}?${form(shareParams())}`, headers: { 'x-kakao-resource-id': resourceId() } }),
    );
  });
});
