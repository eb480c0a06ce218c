import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventOf } from '../../src/events/catalog.js';
import { API_TOKEN, kakaoEvent } from '../helpers/account-api.js';
import { BACKENDS, openTestBackend } from '../helpers/backends.js';
import { ADMIN_ENV, callKakao, channelBody, form, FORM, JSON_TYPE, KAKAO_USER_ID, resourceId, unlinkParams } from '../helpers/kakao-admin.js';
import { createTestKey, startJwksServer, type JwksServer, type TestKey } from '../helpers/kakao-transmitter.js';
import { LOGTO_KEY, postLogto, userDataUpdated } from '../helpers/logto-signer.js';
import { runService, type RunningService } from '../helpers/service.js';
import { testConfig } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

const NUL = '\u0000';
const REPLACEMENT = '\uFFFD';
const LONE_SURROGATE = '\uD800';

/**
 * A NUL, or a lone UTF-16 surrogate, in any input that reaches the store: PostgreSQL's text and
 * jsonb refuse them (SQLSTATE 22021, 22P05, 22P02), and the service answered 503 on PostgreSQL and
 * the embedded store, a refusal that looked like our fault and made senders retry forever. Each is
 * stored as U+FFFD instead, on every store alike: never a 5xx, the event is kept, and a user id
 * names the same account in an event and in an account API request.
 */
describe.each(BACKENDS)('a NUL in input that reaches the %s store', (kind) => {
  let running: RunningService;
  let jwks: JwksServer;
  let key: TestKey;

  beforeAll(async () => {
    key = await createTestKey('kakao-key-1');
    jwks = await startJwksServer([key]);
    const store = await openTestBackend(kind);
    const config = testConfig({ ...store.env, KAKAO_JWKS_URI: jwks.url, LOGTO_SIGNING_KEYS: LOGTO_KEY, ...ADMIN_ENV, ACCOUNT_API_TOKENS: API_TOKEN });
    running = await runService(config, { backend: store.backend });
    const close = running.close;
    running.close = async () => {
      await close();
      await store.close();
    };
  }, 60_000);
  afterAll(async () => {
    await running?.close();
    await jwks?.close();
  });

  const app = () => running.service.app;
  /** The event the handlers received whose JSON holds `marker`. */
  const receivedWith = (marker: string) =>
    waitFor(() => running.received.find((event) => JSON.stringify(event).includes(marker)), { what: `the event holding ${marker}` });
  const expectStoredClean = (event: EventOf) => {
    const json = JSON.stringify(event);
    expect(json).not.toContain('\\u0000');
    expect(json).not.toMatch(/\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])/i);
    expect(json).toContain(REPLACEMENT);
  };
  const account = (provider: string, userId: string) =>
    app().inject({ url: `/v1/accounts/${provider}/${encodeURIComponent(userId)}`, headers: { authorization: `Bearer ${API_TOKEN}` } });

  it('Talk Share parameters (query string, form, JSON): accepted, stored with U+FFFD', async () => {
    const marker = randomUUID();
    const params = { CHAT_TYPE: 'MemoChat', HASH_CHAT_ID: `h${NUL}${marker}-get`, TEMPLATE_ID: '1', custom: `a${NUL}b` };
    const get = await callKakao(app(), { method: 'GET', url: `/webhooks/kakao/talk-share?${form(params)}`, headers: { 'x-kakao-resource-id': resourceId() } });
    expect(get.statusCode).toBe(200);
    expectStoredClean(await receivedWith(`${marker}-get`));

    const post = await callKakao(app(), {
      url: '/webhooks/kakao/talk-share',
      contentType: FORM,
      payload: form({ ...params, HASH_CHAT_ID: `h${NUL}${marker}-form` }),
      headers: { 'x-kakao-resource-id': resourceId() },
    });
    expect(post.statusCode).toBe(200);
    expectStoredClean(await receivedWith(`${marker}-form`));

    const json = await callKakao(app(), {
      url: '/webhooks/kakao/talk-share',
      contentType: JSON_TYPE,
      payload: JSON.stringify({ ...params, HASH_CHAT_ID: `${marker}-json`, [`k${NUL}ey`]: `v${LONE_SURROGATE}`, nested: { list: [`x${NUL}`] } }),
      headers: { 'x-kakao-resource-id': resourceId() },
    });
    expect(json.statusCode).toBe(200);
    const stored = await receivedWith(`${marker}-json`);
    expectStoredClean(stored);
    expect(stored.data).toMatchObject({ [`k${REPLACEMENT}ey`]: `v${REPLACEMENT}`, nested: { list: [`x${REPLACEMENT}`] } });
  });

  it('Talk Channel: a channel id with a NUL is stored with U+FFFD, in the event and in the account state', async () => {
    const marker = randomUUID().slice(0, 8);
    const userId = `${Date.now()}`;
    const response = await callKakao(app(), {
      url: '/webhooks/kakao/talk-channel',
      contentType: JSON_TYPE,
      payload: JSON.stringify(channelBody({ id: userId, channel_public_id: `_${marker}${NUL}` })),
      headers: { 'x-kakao-resource-id': resourceId() },
    });
    expect(response.statusCode).toBe(200);
    expectStoredClean(await receivedWith(marker));
    const state = await waitFor(async () => {
      const answer = await account('kakao', userId);
      return answer.statusCode === 200 ? (answer.json() as { channels: Record<string, unknown> }) : undefined;
    }, { what: 'the account state' });
    expect(Object.keys(state.channels)).toEqual([`_${marker}${REPLACEMENT}`]);
  });

  it('Kakao SET claims (sub, an email): accepted, and the account is found by the id with the NUL', async () => {
    const userId = `${Date.now()}${NUL}nul`;
    const token = await kakaoEvent(key, 'user-profile-changed', userId, Date.now() - 60_000, { email: `a${NUL}@example.com` });
    const response = await app().inject({ method: 'POST', url: '/webhooks/kakao/account-status', headers: { 'content-type': 'application/secevent+jwt' }, payload: token });
    expect(response.statusCode).toBe(202);
    const state = await waitFor(async () => {
      const answer = await account('kakao', userId);
      return answer.statusCode === 200 ? (answer.json() as Record<string, any>) : undefined;
    }, { what: 'the account state' });
    expect(state.userId).toBe(userId.replace(NUL, REPLACEMENT));
    expect(state.profile.email.value).toBe(`a${REPLACEMENT}@example.com`);
  });

  it('Logto payload strings (the user id, a name, a key, a lone surrogate): accepted, stored with U+FFFD', async () => {
    const userId = `l${randomUUID().slice(0, 8)}${NUL}`;
    const body = userDataUpdated({ userId });
    Object.assign(body.data as object, { name: `Ada${NUL}`, customData: { [`k${NUL}`]: `v${LONE_SURROGATE}` } });
    const response = await postLogto(app(), body);
    expect(response.statusCode).toBe(200);
    expectStoredClean(await receivedWith(userId.slice(0, 9)));
    const state = await waitFor(async () => {
      const answer = await account('logto', userId);
      return answer.statusCode === 200 ? (answer.json() as Record<string, any>) : undefined;
    }, { what: 'the account state' });
    expect(state.profile.name.value).toBe(`Ada${REPLACEMENT}`);
  });

  it('the account API: a NUL in the path or the batch is looked up like any id, never a 5xx', async () => {
    const headers = { authorization: `Bearer ${API_TOKEN}` };
    expect((await app().inject({ url: `/v1/accounts/kakao/x%00y`, headers })).statusCode).toBe(404);
    expect((await app().inject({ url: `/v1/accounts/kakao/%00/sessions/check?issuedAt=0`, headers })).json()).toMatchObject({ allowed: true });
    const batch = await app().inject({ method: 'POST', url: '/v1/sessions/check', headers, payload: { sessions: [{ provider: 'logto', userId: `${NUL}${LONE_SURROGATE}`, issuedAt: 0 }] } });
    expect(batch.statusCode).toBe(200);
  });

  it('a NUL where only digits are valid (an unlink user_id) is a 400, and nothing is enqueued', async () => {
    const marker = `${Date.now()}`;
    const response = await callKakao(app(), { method: 'GET', url: `/webhooks/kakao/unlink?${form(unlinkParams({ user_id: `${marker}${NUL}` }))}` });
    expect(response.statusCode).toBe(400);
    // A genuine unlink sent after it is handled; the refused one never was.
    const sentinel = await callKakao(app(), { method: 'GET', url: `/webhooks/kakao/unlink?${form(unlinkParams({ user_id: KAKAO_USER_ID }))}` });
    expect(sentinel.statusCode).toBe(200);
    await waitFor(() => running.received.some((event) => event.type === 'kakao.unlinked' && event.subject?.id === KAKAO_USER_ID), { what: 'the sentinel' });
    expect(running.received.filter((event) => JSON.stringify(event).includes(marker))).toEqual([]);
  });
});
