import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ADMIN_ENV, ADMIN_KEY, allJobs, APP_ID, callKakao, expectRefusedWithoutJob, form, FORM, JSON_TYPE, KAKAO_USER_ID, OLD_ADMIN_KEY, unlinkParams,
} from '../../helpers/kakao-admin.js';
import { startTestReceiver, useTestBackend, type TestReceiver, expectOutageAnswers503 } from '../../helpers/receiver.js';

const store = useTestBackend();

const URL_ = '/webhooks/kakao/unlink';
const query = (params: Record<string, string>) => `${URL_}?${form(params)}`;

/** Every branch of GET and POST /webhooks/kakao/unlink (issue 4, points 2, 5, 6), through app.inject(). */
describe('GET|POST /webhooks/kakao/unlink', () => {
  let r: TestReceiver;
  beforeEach(async () => {
    r = await startTestReceiver(store(), ADMIN_ENV);
  });
  afterEach(async () => {
    await r.close();
  });

  const jobCount = async () => (await allJobs(r.inspect)).length;

  const expectRefused = (response: Awaited<ReturnType<typeof callKakao>>, status: number, error: string) =>
    expectRefusedWithoutJob(r.inspect, response, status, error);

  describe('accepts', () => {
    it('a form-encoded POST: 200, empty body, one kakao.unlinked job with the parameters as sent', async () => {
      const response = await callKakao(r.app, { url: URL_, contentType: FORM, payload: form(unlinkParams()) });
      expect(response.statusCode).toBe(200);
      expect(response.body).toBe('');
      const [job, ...rest] = await allJobs(r.inspect);
      expect(rest).toHaveLength(0);
      expect(job!.name).toBe('kakao.unlinked');
      expect(job!.id).toBe(job!.data.id);
      expect(job!.data).toMatchObject({
        provider: 'kakao',
        type: 'kakao.unlinked',
        sourceType: 'unlink',
        subject: { id: KAKAO_USER_ID },
        data: { app_id: APP_ID, user_id: KAKAO_USER_ID, referrer_type: 'UNLINK_FROM_APPS' },
      });
      expect(job!.data.occurredAt).toBe(job!.data.receivedAt);
      expect(Date.parse(job!.data.receivedAt)).toBeGreaterThan(Date.now() - 10_000);
    });

    it('a GET with the parameters in the query string', async () => {
      const response = await callKakao(r.app, { method: 'GET', url: query(unlinkParams({ referrer_type: 'ACCOUNT_DELETE' })) });
      expect(response.statusCode).toBe(200);
      const [job] = await allJobs(r.inspect);
      expect(job!.data.data).toEqual({ app_id: APP_ID, user_id: KAKAO_USER_ID, referrer_type: 'ACCOUNT_DELETE' });
    });

    it('a JSON POST (charset parameter tolerated); a user_id above 2^53 stays a string, digit for digit', async () => {
      const payload = JSON.stringify(unlinkParams());
      const response = await callKakao(r.app, { url: URL_, contentType: `${JSON_TYPE}; charset=utf-8`, payload });
      expect(response.statusCode).toBe(200);
      const [job] = await allJobs(r.inspect);
      expect(job!.data.subject.id).toBe('9007199254740993123');
      expect(job!.data.data.user_id).toBe('9007199254740993123');
    });

    it('exact JSON numbers for app_id and user_id, turned into strings', async () => {
      const payload = JSON.stringify({ app_id: Number(APP_ID), user_id: 3891047281, referrer_type: 'UNLINK_FROM_APPS' });
      expect((await callKakao(r.app, { url: URL_, contentType: JSON_TYPE, payload })).statusCode).toBe(200);
      const [job] = await allJobs(r.inspect);
      expect(job!.data.data).toMatchObject({ app_id: APP_ID, user_id: '3891047281' });
    });

    it('the previous admin key during a rotation, and the scheme in any case', async () => {
      const params = (referrer_type: string) => form(unlinkParams({ referrer_type }));
      expect((await callKakao(r.app, { url: URL_, key: OLD_ADMIN_KEY, contentType: FORM, payload: params('ACCOUNT_DELETE') })).statusCode).toBe(200);
      expect((await callKakao(r.app, { url: URL_, authorization: `kakaoak ${ADMIN_KEY}`, contentType: FORM, payload: params('UNLINK_FROM_ADMIN') })).statusCode).toBe(200);
      expect(await jobCount()).toBe(2);
    });

    it('keeps group_user_token and parameters Kakao may add later', async () => {
      const payload = form(unlinkParams({ group_user_token: 'gut-1', something_new: 'x' }));
      expect((await callKakao(r.app, { url: URL_, contentType: FORM, payload })).statusCode).toBe(200);
      const [job] = await allJobs(r.inspect);
      expect(job!.data.data).toMatchObject({ group_user_token: 'gut-1', something_new: 'x' });
    });

    it('an unknown referrer_type, and logs it', async () => {
      const response = await callKakao(r.app, { method: 'GET', url: query(unlinkParams({ referrer_type: 'SOMETHING_NEW' })) });
      expect(response.statusCode).toBe(200);
      expect(await jobCount()).toBe(1);
      expect(r.logs.some((line) => line.referrerType === 'SOMETHING_NEW' && line.level === 40)).toBe(true);
    });

    it('logs no warning for a documented referrer_type', async () => {
      await callKakao(r.app, { method: 'GET', url: query(unlinkParams({ referrer_type: 'FORCED_ACCOUNT_DELETE' })) });
      expect(r.logs.some((line) => 'referrerType' in line)).toBe(false);
    });
  });

  describe('deduplicates', () => {
    it('one unlink delivered twice (even by GET, then POST) makes one job', async () => {
      expect((await callKakao(r.app, { method: 'GET', url: query(unlinkParams()) })).statusCode).toBe(200);
      expect((await callKakao(r.app, { url: URL_, contentType: FORM, payload: form(unlinkParams()) })).statusCode).toBe(200);
      expect(await jobCount()).toBe(1);
    });

    it('another user, app or referrer_type is another unlink', async () => {
      await callKakao(r.app, { method: 'GET', url: query(unlinkParams()) });
      await callKakao(r.app, { method: 'GET', url: query(unlinkParams({ user_id: '1' })) });
      await callKakao(r.app, { method: 'GET', url: query(unlinkParams({ app_id: '999' })) });
      await callKakao(r.app, { method: 'GET', url: query(unlinkParams({ referrer_type: 'ACCOUNT_DELETE' })) });
      expect(await jobCount()).toBe(4);
    });

    it('queues the same user again once the window has passed (a re-link, then a new unlink)', async () => {
      const r2 = await startTestReceiver(store(), { ...ADMIN_ENV, KAKAO_UNLINK_DEDUPE_SECONDS: '1' });
      try {
        await callKakao(r2.app, { method: 'GET', url: query(unlinkParams()) });
        await callKakao(r2.app, { method: 'GET', url: query(unlinkParams()) });
        expect(await allJobs(r2.inspect)).toHaveLength(1);
        await new Promise((resolve) => setTimeout(resolve, 1100));
        expect((await callKakao(r2.app, { method: 'GET', url: query(unlinkParams()) })).statusCode).toBe(200);
        expect(await allJobs(r2.inspect)).toHaveLength(2);
      } finally {
        await r2.close();
      }
    });
  });

  describe('refuses, and queues nothing', () => {
    it.each([
      ['no Authorization header', { key: null }],
      ['a wrong key', { key: 'not-our-admin-key-not-our-admin-key' }],
      ['our key with one character more', { key: `${ADMIN_KEY}0` }],
      ['our key under another scheme', { authorization: `Bearer ${ADMIN_KEY}` }],
      ['the scheme without a key', { authorization: 'KakaoAK ' }],
      ['our key followed by more text', { authorization: `KakaoAK ${ADMIN_KEY} extra` }],
    ])('401 for %s, with a KakaoAK challenge', async (_name, auth) => {
      const response = await callKakao(r.app, { url: URL_, contentType: FORM, payload: form(unlinkParams()), ...auth });
      await expectRefused(response, 401, 'ERR_ADMIN_KEY_INVALID');
      expect(response.headers['www-authenticate']).toBe('KakaoAK');
    });

    it('401, not 400 or 413, for a wrong key with a malformed or oversized body: the key is checked first', async () => {
      await expectRefused(await callKakao(r.app, { url: URL_, key: 'x'.repeat(32), contentType: JSON_TYPE, payload: '{not json' }), 401, 'ERR_ADMIN_KEY_INVALID');
      await expectRefused(await callKakao(r.app, { url: URL_, key: 'x'.repeat(32), contentType: FORM, payload: 'a'.repeat(70 * 1024) }), 401, 'ERR_ADMIN_KEY_INVALID');
      await expectRefused(await callKakao(r.app, { url: URL_, key: null, contentType: 'text/plain', payload: 'x' }), 401, 'ERR_ADMIN_KEY_INVALID');
    });

    it('401 for an app id that is not ours, or none', async () => {
      await expectRefused(await callKakao(r.app, { method: 'GET', url: query(unlinkParams({ app_id: '654321' })) }), 401, 'ERR_APP_ID_INVALID');
      const { app_id: _omitted, ...withoutAppId } = unlinkParams();
      await expectRefused(await callKakao(r.app, { url: URL_, contentType: FORM, payload: form(withoutAppId) }), 401, 'ERR_APP_ID_INVALID');
    });

    it('401 for an app id that is not ours even when the rest is malformed', async () => {
      await expectRefused(await callKakao(r.app, { method: 'GET', url: `${URL_}?app_id=1` }), 401, 'ERR_APP_ID_INVALID');
    });

    it.each([
      ['user_id missing', { user_id: undefined }],
      ['user_id empty', { user_id: '' }],
      ['referrer_type missing', { referrer_type: undefined }],
      ['group_user_token empty', { group_user_token: '' }],
    ])('400 for %s', async (_name, overrides) => {
      const params = Object.fromEntries(Object.entries({ ...unlinkParams(), ...overrides }).filter(([, value]) => value !== undefined)) as Record<string, string>;
      const response = await callKakao(r.app, { url: URL_, contentType: FORM, payload: form(params) });
      await expectRefused(response, 400, 'ERR_PAYLOAD_INVALID');
      expect(response.json().message).toMatch(/user_id|referrer_type|group_user_token/);
    });

    it('400 for user_id given twice', async () => {
      await expectRefused(await callKakao(r.app, { method: 'GET', url: `${query(unlinkParams())}&user_id=1` }), 400, 'ERR_PAYLOAD_INVALID');
    });

    it('400 for a JSON user_id beyond 2^53 (its digits were lost before we could read it)', async () => {
      const payload = `{"app_id":"${APP_ID}","user_id":9007199254740993123,"referrer_type":"UNLINK_FROM_APPS"}`;
      const response = await callKakao(r.app, { url: URL_, contentType: JSON_TYPE, payload });
      await expectRefused(response, 400, 'ERR_PAYLOAD_INVALID');
      expect(response.json().message).toContain('user_id');
    });

    it('400 for malformed JSON, a JSON array and an empty POST body', async () => {
      await expectRefused(await callKakao(r.app, { url: URL_, contentType: JSON_TYPE, payload: '{"app_id": "123456",' }), 400, 'ERR_PAYLOAD_INVALID');
      await expectRefused(await callKakao(r.app, { url: URL_, contentType: JSON_TYPE, payload: '[1,2]' }), 400, 'ERR_PAYLOAD_INVALID');
      await expectRefused(await callKakao(r.app, { url: URL_ }), 400, 'ERR_PAYLOAD_INVALID');
    });

    it('413 past the body limit', async () => {
      const payload = form(unlinkParams({ padding: 'a'.repeat(70 * 1024) }));
      await expectRefused(await callKakao(r.app, { url: URL_, contentType: FORM, payload }), 413, 'ERR_BODY_TOO_LARGE');
    });

    it('415 for a body that is neither form nor JSON', async () => {
      await expectRefused(await callKakao(r.app, { url: URL_, contentType: 'text/plain', payload: form(unlinkParams()) }), 415, 'ERR_UNSUPPORTED_MEDIA_TYPE');
    });

    it('HEAD does not run the GET handler', async () => {
      const response = await callKakao(r.app, { method: 'HEAD', url: query(unlinkParams()) });
      expect(response.statusCode).toBe(404);
      expect(await jobCount()).toBe(0);
    });
  });

  it('never logs the admin key', async () => {
    await callKakao(r.app, { method: 'GET', url: query(unlinkParams()) });
    await callKakao(r.app, { method: 'GET', url: query(unlinkParams()), key: OLD_ADMIN_KEY.replace('f', 'e') });
    expect(r.logs.length).toBeGreaterThan(0);
    const logged = JSON.stringify(r.logs);
    expect(logged).not.toContain(ADMIN_KEY);
    expect(logged).not.toContain(OLD_ADMIN_KEY.replace('f', 'e'));
  });

  it('answers 503 with Retry-After, quickly, when the queue is unavailable', async () => {
    await expectOutageAnswers503(ADMIN_ENV, (r2) => callKakao(r2.app, { method: 'GET', url: query(unlinkParams()) }));
  });
});

describe('configuration', () => {
  it('without KAKAO_APP_ID accepts any app id, and warns at start-up', async () => {
    const r = await startTestReceiver(store(), { KAKAO_ADMIN_KEYS: ADMIN_KEY });
    try {
      expect(r.logs.some((line) => String(line.msg).includes('KAKAO_APP_ID is not set'))).toBe(true);
      expect((await callKakao(r.app, { method: 'GET', url: query(unlinkParams({ app_id: '42' })) })).statusCode).toBe(200);
      const response = await callKakao(r.app, { method: 'GET', url: `${URL_}?user_id=1&referrer_type=ACCOUNT_DELETE` });
      expect(response.statusCode).toBe(400); // app_id is still a required parameter
      expect(await allJobs(r.inspect)).toHaveLength(1);
    } finally {
      await r.close();
    }
  });

  it('without KAKAO_ADMIN_KEYS the three endpoints do not exist', async () => {
    const r = await startTestReceiver(store());
    try {
      expect((await callKakao(r.app, { method: 'GET', url: query(unlinkParams()) })).statusCode).toBe(404);
      expect((await callKakao(r.app, { url: '/webhooks/kakao/talk-channel', contentType: JSON_TYPE, payload: '{}' })).statusCode).toBe(404);
      expect((await callKakao(r.app, { method: 'GET', url: '/webhooks/kakao/talk-share?CHAT_TYPE=MemoChat' })).statusCode).toBe(404);
      expect(await allJobs(r.inspect)).toHaveLength(0);
    } finally {
      await r.close();
    }
  });
});
