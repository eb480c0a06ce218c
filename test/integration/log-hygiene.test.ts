import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type Service } from '../../src/service.js';
import { API_TOKEN, api, kakaoEvent } from '../helpers/account-api.js';
import { DEFAULT_BACKEND } from '../helpers/backends.js';
import { ADMIN_ENV, ADMIN_KEY, OLD_ADMIN_KEY, APP_ID, channelBody, form, resourceId } from '../helpers/kakao-admin.js';
import { createTestKey, signSet, setClaims, startJwksServer, type JwksServer, type TestKey } from '../helpers/kakao-transmitter.js';
import { LOGTO_KEY, signLogto, userDataUpdated } from '../helpers/logto-signer.js';
import { captureLogs, useTestBackend } from '../helpers/receiver.js';
import { testConfig } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Everything the service logs at debug level, through requests to every endpoint (accepted and
 * refused) and the worker processing them, holds no secret and no personal data.
 */
describe('log hygiene', () => {
  const store = useTestBackend(DEFAULT_BACKEND);
  let service: Service;
  let jwks: JwksServer;
  let key: TestKey;
  let lines: Record<string, unknown>[];
  let baseUrl: string;
  const secrets: Record<string, string> = {
    'admin key': ADMIN_KEY,
    'old admin key': OLD_ADMIN_KEY,
    'Logto signing key': LOGTO_KEY,
    'bearer token': API_TOKEN,
    'admin password': 'dashboard-password-hygiene',
    email: 'hygiene.person@example.com',
    phone: '+82 10-9876-5432',
    nickname: 'NicknameHygiene',
    'Logto email': 'logto.hygiene@example.com',
  };

  beforeAll(async () => {
    key = await createTestKey('kakao-key-1');
    jwks = await startJwksServer([key]);
    const captured = captureLogs();
    lines = captured.lines;
    const config = testConfig({ ...store().env, KAKAO_JWKS_URI: jwks.url, LOGTO_SIGNING_KEYS: LOGTO_KEY, ...ADMIN_ENV, ACCOUNT_API_TOKENS: API_TOKEN, LOG_LEVEL: 'debug', ADMIN_USER: 'ops', ADMIN_PASSWORD: 'dashboard-password-hygiene' });
    service = await startService(config, { role: 'all', logger: captured.logger, backend: store().backend });
    baseUrl = `http://127.0.0.1:${(service.app.server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await service?.close();
    await jwks?.close();
  });

  it('logs a request id on every request line, taken from a well-formed X-Request-Id', async () => {
    const response = await fetch(`${baseUrl}/healthz`, { headers: { 'x-request-id': 'lb-1234abcd' } });
    expect(response.headers.get('x-request-id')).toBe('lb-1234abcd');
    const forged = await fetch(`${baseUrl}/healthz`, { headers: { 'x-request-id': 'bad id with spaces"{}' } });
    expect(forged.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    await waitFor(() => lines.some((line) => line.reqId === 'lb-1234abcd' && line.msg === 'request completed'), { what: 'the completion line' });
    expect(lines.filter((line) => line.reqId === 'lb-1234abcd').map((line) => line.msg)).toEqual(['incoming request', 'request completed']);
  });

  it('at info, writes one line per request, when it is answered, with status and time', async () => {
    const before = lines.length;
    await fetch(`${baseUrl}/healthz`, { headers: { 'x-request-id': 'lb-info-once' } });
    await waitFor(() => lines.some((line) => line.reqId === 'lb-info-once' && line.msg === 'request completed'), { what: 'the completion line' });
    const mine = lines.slice(before).filter((line) => line.reqId === 'lb-info-once' && Number(line.level) >= 30);
    expect(mine).toEqual([expect.objectContaining({ msg: 'request completed', res: { statusCode: 200 }, responseTime: expect.any(Number) })]);
  });

  it('at info, an accepted webhook writes one line: what was accepted, with status and time', async () => {
    const set = await kakaoEvent(key, 'user-profile-changed', `${Date.now()}31`, Date.now() - 1000);
    const logto = JSON.stringify(userDataUpdated());
    const sent: { reqId: string; path: string; headers: Record<string, string>; body: string; msg: string; status: number; ids: string }[] = [
      { reqId: 'one-line-set', path: '/webhooks/kakao/account-status', headers: { 'content-type': 'application/secevent+jwt' }, body: set, msg: 'SET accepted', status: 202, ids: 'events' },
      { reqId: 'one-line-logto', path: '/webhooks/logto', headers: { 'content-type': 'application/json', 'logto-signature-sha-256': signLogto(LOGTO_KEY, logto) }, body: logto, msg: 'Logto event accepted', status: 200, ids: 'eventId' },
      { reqId: 'one-line-channel', path: '/webhooks/kakao/talk-channel', headers: { 'content-type': 'application/json', authorization: `KakaoAK ${ADMIN_KEY}`, 'x-kakao-resource-id': resourceId() }, body: JSON.stringify(channelBody()), msg: 'Kakao webhook accepted', status: 200, ids: 'events' },
    ];
    const before = lines.length;
    for (const request of sent) {
      const response = await fetch(`${baseUrl}${request.path}`, { method: 'POST', headers: { ...request.headers, 'x-request-id': request.reqId }, body: request.body });
      expect(response.status, request.path).toBe(request.status);
    }
    for (const request of sent) {
      await waitFor(() => lines.slice(before).some((line) => line.reqId === request.reqId && line.msg === request.msg), { what: `the line of ${request.path}` });
      const mine = lines.slice(before).filter((line) => line.reqId === request.reqId && Number(line.level) >= 30);
      expect(mine, request.path).toEqual([expect.objectContaining({ msg: request.msg, res: { statusCode: request.status }, responseTime: expect.any(Number), [request.ids]: expect.anything() })]);
    }
  });

  it('holds no key, token, signature or personal data, from every endpoint and the worker', async () => {
    const userId = `${Date.now()}77`;
    const signatures: string[] = [];
    // Kakao SET: a profile change, and a forged token.
    const profile = await kakaoEvent(key, 'user-profile-changed', userId, Date.now() - 1000, { email: secrets.email, phone_number: secrets.phone, nickname: secrets.nickname });
    signatures.push(profile.split('.')[2]!);
    const post = (path: string, init: RequestInit) => fetch(`${baseUrl}${path}`, init);
    expect((await post('/webhooks/kakao/account-status', { method: 'POST', headers: { 'content-type': 'application/secevent+jwt' }, body: profile })).status).toBe(202);
    const forged = await signSet(await createTestKey('kakao-key-1'), setClaims({ sub: userId }));
    expect((await post('/webhooks/kakao/account-status', { method: 'POST', headers: { 'content-type': 'application/secevent+jwt' }, body: forged })).status).toBe(400);
    signatures.push(forged.split('.')[2]!);
    // Correctly signed but refused for a claim (aud, iss, an old iat, a past exp): the refusal names the claim, never the token's values.
    for (const claims of [{ aud: 'https://someone-else.example' }, { iss: 'https://not-kakao.example' }, { iat: Math.floor(Date.now() / 1000) - 30 * 86_400 }, { exp: Math.floor(Date.now() / 1000) - 3600 }]) {
      const refused = await signSet(key, setClaims({ sub: userId, email: secrets.email, phone_number: secrets.phone, ...claims }));
      expect((await post('/webhooks/kakao/account-status', { method: 'POST', headers: { 'content-type': 'application/secevent+jwt' }, body: refused })).status).toBe(400);
      signatures.push(refused.split('.')[2]!);
    }

    // Logto: a signed profile, a wrong signature, and a signed body that is not JSON.
    const logtoUser = `u-hygiene-${Date.now()}`;
    const body = JSON.stringify(userDataUpdated({ userId: logtoUser, data: { id: logtoUser, primaryEmail: secrets['Logto email'], primaryPhone: secrets.phone, name: secrets.nickname, updatedAt: Date.now() } }));
    const logto = (raw: string, signature: string) => post('/webhooks/logto', { method: 'POST', headers: { 'content-type': 'application/json', 'logto-signature-sha-256': signature }, body: raw });
    signatures.push(signLogto(LOGTO_KEY, body));
    expect((await logto(body, signLogto(LOGTO_KEY, body))).status).toBe(200);
    expect((await logto(body, signLogto('another-key-0123456789', body))).status).toBe(401);
    const broken = `{"event":"User.Created","email":"${secrets['Logto email']}"`;
    expect((await logto(broken, signLogto(LOGTO_KEY, broken))).status).toBe(400);

    // Kakao admin-key webhooks, with the right key and a wrong one.
    const admin = { authorization: `KakaoAK ${ADMIN_KEY}` };
    expect((await post(`/webhooks/kakao/unlink?${form({ app_id: APP_ID, user_id: userId, referrer_type: 'UNLINK_FROM_APPS' })}`, { headers: admin })).status).toBe(200);
    expect((await post('/webhooks/kakao/unlink', { method: 'POST', headers: { authorization: `KakaoAK ${OLD_ADMIN_KEY}x` }, body: '' })).status).toBe(401);
    expect((await post('/webhooks/kakao/talk-channel', { method: 'POST', headers: { ...admin, 'content-type': 'application/json', 'x-kakao-resource-id': resourceId() }, body: JSON.stringify(channelBody({ id: userId })) })).status).toBe(200);
    expect((await post(`/webhooks/kakao/talk-share?${form({ CHAT_TYPE: 'MemoChat', HASH_CHAT_ID: 'h', contact: secrets.email! })}`, { headers: { ...admin, 'x-kakao-resource-id': resourceId() } })).status).toBe(200);

    // The dashboard with its credentials and without; health, readiness, metrics.
    const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`ops:${password}`).toString('base64')}` });
    expect((await post('/admin/queues', { headers: basic(secrets['admin password']!) })).status).toBe(200);
    expect((await post('/admin/queues/api/queues', { headers: basic(secrets['admin password']!) })).status).toBe(200);
    expect((await post('/admin/queues', { headers: basic('wrong-password-123') })).status).toBe(401);
    for (const path of ['/healthz', '/readyz', '/metrics']) expect((await post(path, {})).status).toBe(200);

    // The account API, with the token and without.
    await waitFor(async () => (await api(baseUrl, `/v1/accounts/kakao/${userId}`)).status === 200, { what: 'the account state' });
    expect((await api(baseUrl, `/v1/accounts/kakao/${userId}/sessions/check?issuedAt=0`)).status).toBe(200);
    expect((await api(baseUrl, '/v1/sessions/check', { method: 'POST', body: JSON.stringify({ sessions: [{ provider: 'kakao', userId, issuedAt: 0 }] }) })).status).toBe(200);
    expect((await api(baseUrl, `/v1/accounts/kakao/${userId}`, { token: `${API_TOKEN}-wrong` })).status).toBe(401);
    await waitFor(async () => (await api(baseUrl, `/v1/accounts/logto/${logtoUser}`)).status === 200, { what: 'the Logto state' });
    await waitFor(() => lines.some((line) => line.msg === 'account state updated' && line.userId === logtoUser), { what: 'the worker log' });

    expect(lines.some((line) => typeof line.eventId === 'string' && line.msg === 'account state updated')).toBe(true);
    const text = lines.map((line) => JSON.stringify(line)).join('\n');
    for (const [what, secret] of Object.entries(secrets)) expect(text.includes(secret), `${what} in the log`).toBe(false);
    for (const signature of signatures) expect(text.includes(signature), 'a signature in the log').toBe(false);
    expect(text).not.toContain('hygiene.person%40example.com');
  });
});
