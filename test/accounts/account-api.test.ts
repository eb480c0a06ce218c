import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors.js';
import type { HandlerRegistry } from '../../src/handlers/registry.js';
import type { JobQueue } from '../../src/queue/backend.js';
import { startService, type Service } from '../../src/service.js';
import { API_TOKEN, OLD_API_TOKEN, api, findInStore, kakaoEvent } from '../helpers/account-api.js';
import { BACKENDS } from '../helpers/backends.js';
import { ADMIN_ENV, ADMIN_KEY, APP_ID, form } from '../helpers/kakao-admin.js';
import { createTestKey, startJwksServer, type JwksServer, type TestKey } from '../helpers/kakao-transmitter.js';
import { LOGTO_KEY, signLogto, userDataUpdated } from '../helpers/logto-signer.js';
import { captureLogs, useTestBackend } from '../helpers/receiver.js';
import { postSetOverHttp } from '../helpers/service.js';
import { testConfig } from '../helpers/test-config.js';
import { atMost, waitFor } from '../helpers/wait-for.js';

/**
 * From a signed webhook to the state an application reads: real HTTP, each real store, the real
 * BullMQ worker with the built-in account-state handler, and the account API.
 */
describe.each(BACKENDS)('account state API end to end, on %s', (kind) => {
  const store = useTestBackend(kind);
  let key: TestKey;
  let jwks: JwksServer;
  let service: Service | undefined;
  let inspect: JobQueue | undefined;
  let baseUrl = '';

  async function start(registerHandlers: (registry: HandlerRegistry) => void = () => {}, env: Record<string, string> = {}) {
    key = await createTestKey('kakao-key-1');
    jwks = await startJwksServer([key]);
    const config = testConfig({
      ...store().env,
      KAKAO_JWKS_URI: jwks.url,
      LOGTO_SIGNING_KEYS: LOGTO_KEY,
      ...ADMIN_ENV,
      ACCOUNT_API_TOKENS: `${API_TOKEN}, ${OLD_API_TOKEN}`,
      JOB_ATTEMPTS: '2',
      ...env,
    });
    service = await startService(config, { role: 'all', logger: captureLogs().logger, backend: store().backend, registerHandlers });
    inspect = store().backend.createQueue(config.queue.name, {});
    inspect.on('error', () => {});
    baseUrl = `http://127.0.0.1:${(service.app.server.address() as { port: number }).port}`;
  }

  afterEach(async () => {
    await service?.close();
    service = undefined;
    if (inspect) await atMost(inspect.obliterate({ force: true }));
    await atMost(inspect?.close() ?? Promise.resolve());
    inspect = undefined;
    await jwks?.close();
  });

  const kakaoUser = () => `${Date.now()}${Math.floor(Math.random() * 1e6)}`;
  const send = async (token: Promise<string>) => expect((await postSetOverHttp(baseUrl, await token)).status).toBe(202);
  const account = async (provider: string, userId: string) => {
    const response = await api(baseUrl, `/v1/accounts/${provider}/${userId}`);
    return response.status === 200 ? ((await response.json()) as Record<string, any>) : undefined;
  };
  const until = (provider: string, userId: string, ready: (state: Record<string, any>) => boolean, what: string) =>
    waitFor(async () => {
      const state = await account(provider, userId);
      return state && ready(state) ? state : undefined;
    }, { what });
  const check = async (provider: string, userId: string, issuedAt: string | number) =>
    (await api(baseUrl, `/v1/accounts/${provider}/${userId}/sessions/check?issuedAt=${encodeURIComponent(String(issuedAt))}`)).json();

  it('admits only configured bearer tokens, both during a rotation; 404 for an unknown user; 400 for bad input', async () => {
    await start();
    const path = `/v1/accounts/kakao/${kakaoUser()}`;
    for (const token of [null, 'wrong-token-0123456789abcdef', `${API_TOKEN}x`]) {
      const response = await api(baseUrl, path, { token });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(await response.json()).toMatchObject({ error: 'ERR_UNAUTHORIZED' });
    }
    expect((await api(baseUrl, `/v1/accounts/changes`, { token: null })).status).toBe(401);
    expect((await api(baseUrl, path)).status).toBe(404);
    expect((await api(baseUrl, path, { token: OLD_API_TOKEN })).status).toBe(404);
    expect((await api(baseUrl, `/v1/accounts/google/1`)).status).toBe(400);
    for (const bad of ['yesterday', '2026-01-01', '12:00', '', '1e3', '-5']) {
      const response = await api(baseUrl, `${path}/sessions/check?issuedAt=${encodeURIComponent(bad)}`);
      expect(response.status, bad).toBe(400);
    }
    expect((await api(baseUrl, `${path}/sessions/check`)).status).toBe(400);
    const tooMany = { sessions: Array.from({ length: 101 }, () => ({ provider: 'kakao', userId: '1', issuedAt: 0 })) };
    expect((await api(baseUrl, '/v1/sessions/check', { method: 'POST', body: JSON.stringify(tooMany) })).status).toBe(400);
    expect((await api(baseUrl, '/v1/sessions/check', { method: 'POST', body: '{"sessions":[{"provider":"kakao"}]}' })).status).toBe(400);
    expect((await api(baseUrl, '/v1/sessions/check', { method: 'POST', body: '{' })).status).toBe(400);
  });

  it('keeps each profile field by its own event time, and forgets the fields of a withdrawn scope', async () => {
    await start();
    const userId = kakaoUser();
    const t = Math.floor(Date.now() / 1000) * 1000 - 60_000;
    // The newer email arrives first; the older event, which also carries a nickname, arrives later.
    await send(kakaoEvent(key, 'user-profile-changed', userId, t + 20_000, { email: 'new@example.com' }));
    await until('kakao', userId, (s) => s.profile.email?.value === 'new@example.com', 'the newer email');
    await send(kakaoEvent(key, 'user-profile-changed', userId, t, { email: 'old@example.com', nickname: 'Ryan' }));
    let state = await until('kakao', userId, (s) => s.profile.nickname !== undefined, 'the older event');
    expect(state.profile).toEqual({
      email: { value: 'new@example.com', at: new Date(t + 20_000).toISOString() },
      nickname: { value: 'Ryan', at: new Date(t).toISOString() },
    });

    await send(kakaoEvent(key, 'user-scope-consent', userId, t + 30_000, { scopes: ['profile_nickname', 'account_email'] }));
    await send(kakaoEvent(key, 'user-scope-withdraw', userId, t + 40_000, { scope: 'account_email talk_message' }));
    state = await until('kakao', userId, (s) => s.consent.account_email?.state === 'withdrawn', 'the withdrawal');
    expect(state.profile).toEqual({ nickname: { value: 'Ryan', at: new Date(t).toISOString() } });
    expect(state.consent).toEqual({
      account_email: { state: 'withdrawn', at: new Date(t + 40_000).toISOString() },
      talk_message: { state: 'withdrawn', at: new Date(t + 40_000).toISOString() },
      profile_nickname: { state: 'granted', at: new Date(t + 30_000).toISOString() },
    });
    // A profile report older than the withdrawal does not bring the email back.
    await send(kakaoEvent(key, 'user-profile-changed', userId, t + 35_000, { email: 'again@example.com', nickname: 'Ryan2' }));
    state = await until('kakao', userId, (s) => s.profile.nickname?.value === 'Ryan2', 'the late report');
    expect(state.profile.email).toBeUndefined();
    expect(state.status).toEqual({ value: 'active', at: null });
  });

  it('refuses sessions issued before a revocation, and every session of a disabled account until it is enabled', async () => {
    await start();
    const userId = kakaoUser();
    const t = Math.floor(Date.now() / 1000) * 1000 - 60_000;
    expect(await check('kakao', userId, t)).toEqual({ allowed: true, reason: null, revokedAt: null, status: 'active' });

    await send(kakaoEvent(key, 'sessions-revoked', userId, t + 10_000));
    await until('kakao', userId, (s) => s.sessionsRevokedAt !== null, 'the revocation');
    const revokedAt = new Date(t + 10_000).toISOString();
    expect(await check('kakao', userId, t + 9_999)).toEqual({ allowed: false, reason: 'sessions-revoked', revokedAt, status: 'active' });
    expect(await check('kakao', userId, new Date(t + 10_000).toISOString())).toMatchObject({ allowed: true });

    await send(kakaoEvent(key, 'account-disabled', userId, t + 20_000));
    await until('kakao', userId, (s) => s.status.value === 'disabled', 'the disable');
    expect(await check('kakao', userId, t + 50_000)).toMatchObject({ allowed: false, reason: 'account-disabled', revokedAt: new Date(t + 20_000).toISOString() });
    // An enable older than the disable changes nothing; a newer one restores the account.
    await send(kakaoEvent(key, 'account-enabled', userId, t + 15_000));
    await send(kakaoEvent(key, 'account-enabled', userId, t + 30_000));
    const state = await until('kakao', userId, (s) => s.status.value === 'active', 'the enable');
    expect(state.status.at).toBe(new Date(t + 30_000).toISOString());
    expect(await check('kakao', userId, t + 19_000)).toMatchObject({ allowed: false, reason: 'sessions-revoked' });
    expect(await check('kakao', userId, t + 50_000)).toMatchObject({ allowed: true });

    const batch = await api(baseUrl, '/v1/sessions/check', {
      method: 'POST',
      body: JSON.stringify({
        sessions: [
          { provider: 'kakao', userId, issuedAt: t },
          { provider: 'kakao', userId: kakaoUser(), issuedAt: t },
          { provider: 'kakao', userId, issuedAt: new Date(t + 50_000).toISOString() },
        ],
      }),
    });
    const { results } = (await batch.json()) as { results: { allowed: boolean }[] };
    expect(results.map((result) => result.allowed)).toEqual([false, true, true]);
  });

  it('unlinks, re-links and deletes by event time, from SETs and the unlink webhook', async () => {
    await start();
    const userId = kakaoUser();
    const t = Math.floor(Date.now() / 1000) * 1000 - 60_000;
    await send(kakaoEvent(key, 'user-linked', userId, t + 20_000)); // the re-link arrives before the unlink
    await send(kakaoEvent(key, 'user-unlinked', userId, t + 10_000, { reason: 'UNLINK_FROM_APPS' }));
    // The two jobs may run in either order (the worker runs several at once): wait for both.
    const state = await until('kakao', userId, (s) => s.sessionsRevokedAt !== null && s.status.at === new Date(t + 20_000).toISOString(), 'the unlink and the link');
    expect(state.status).toEqual({ value: 'active', at: new Date(t + 20_000).toISOString() });

    const unlink = form({ app_id: APP_ID, user_id: userId, referrer_type: 'FORCED_ACCOUNT_DELETE' });
    const response = await fetch(`${baseUrl}/webhooks/kakao/unlink?${unlink}`, { headers: { authorization: `KakaoAK ${ADMIN_KEY}` } });
    expect(response.status).toBe(200);
    const deleted = await until('kakao', userId, (s) => s.status.value === 'deleted', 'the deletion');
    expect(deleted.deletedAt).toBe(deleted.status.at);
    expect(await check('kakao', userId, Date.now())).toMatchObject({ allowed: false, reason: 'account-deleted' });
  });

  it('a purge leaves no profile value anywhere in the store: not in the state, not in completed or failed jobs', async () => {
    const email = `purge-${randomUUID()}@example.com`;
    await start((registry) => {
      // A user handler that fails for this event: its job lands in the failed set with the email.
      registry.on('kakao.user-profile-changed', (event) => {
        if (event.data.nickname === 'fails') throw new PermanentError('the downstream refused it');
      });
    });
    const userId = kakaoUser();
    const t = Math.floor(Date.now() / 1000) * 1000 - 60_000;
    await send(kakaoEvent(key, 'user-profile-changed', userId, t, { email, phone_number: '+82 10-1234-5678' }));
    await send(kakaoEvent(key, 'user-profile-changed', userId, t + 1000, { nickname: 'fails', name: email }));
    await until('kakao', userId, (s) => s.profile.email?.value === email && s.profile.nickname?.value === 'fails', 'the profile');
    await waitFor(async () => (await inspect!.getFailedCount()) === 1, { what: 'the failed job' });
    expect((await findInStore(kind, store().env, email)).length).toBeGreaterThan(0); // the scan sees it while it is there

    await send(kakaoEvent(key, 'account-purged', userId, t + 5000));
    const tombstone = await until('kakao', userId, (s) => s.status.value === 'deleted', 'the purge');
    expect(tombstone).toMatchObject({ profile: {}, consent: {}, channels: {}, deletedAt: new Date(t + 5000).toISOString(), sessionsRevokedAt: new Date(t + 5000).toISOString() });
    // A profile event older than the deletion, delivered late, brings nothing back.
    await send(kakaoEvent(key, 'user-profile-changed', userId, t + 2000, { email }));
    await waitFor(async () => (await inspect!.getJobCounts('waiting', 'active', 'delayed')).waiting === 0, { what: 'the queue to drain' });
    await sleep(300);
    await service!.close(); // the worker is idle; jobs are left as they are
    service = undefined;
    expect(await store().backend.accountStates().get('kakao', userId)).toMatchObject({ profile: {}, status: { value: 'deleted' } });
    expect(await findInStore(kind, store().env, email)).toEqual([]);
    expect(await findInStore(kind, store().env, '1234-5678')).toEqual([]);
  });

  it('with BUILT_IN_HANDLERS=none, user handlers still run and no account state is written', async () => {
    const seen: string[] = [];
    await start((registry) => registry.on('kakao.sessions-revoked', (event) => void seen.push(event.subject!.id)), { BUILT_IN_HANDLERS: 'none' });
    const userId = kakaoUser();
    await send(kakaoEvent(key, 'sessions-revoked', userId, Date.now() - 1000));
    await waitFor(() => seen.includes(userId), { what: 'the user handler' });
    await sleep(200);
    expect((await api(baseUrl, `/v1/accounts/kakao/${userId}`)).status).toBe(404);
  });

  it('Logto: User.Created sets the profile, User.Deleted purges it, suspension disables', async () => {
    await start();
    const userId = `u-${randomUUID().slice(0, 8)}`;
    const post = (payload: Record<string, unknown>) => {
      const body = JSON.stringify(payload);
      return fetch(`${baseUrl}/webhooks/logto`, { method: 'POST', headers: { 'content-type': 'application/json', 'logto-signature-sha-256': signLogto(LOGTO_KEY, body) }, body });
    };
    const created = userDataUpdated({ userId, event: 'User.Created', method: 'POST', path: '/users', matchedRoute: '/users' });
    expect((await post(created)).status).toBe(200);
    const state = await until('logto', userId, (s) => s.profile.primaryEmail !== undefined, 'the profile');
    expect(state.status.value).toBe('active');
    expect(state.profile.primaryEmail.value).toBe('ada@example.com');

    const suspended = userDataUpdated({ userId, event: 'User.SuspensionStatus.Updated', matchedRoute: '/users/:userId/is-suspended', data: { id: userId, isSuspended: true } });
    expect((await post(suspended)).status).toBe(200);
    await until('logto', userId, (s) => s.status.value === 'disabled', 'the suspension');
    expect(await check('logto', userId, Date.now())).toMatchObject({ allowed: false, reason: 'account-disabled' });

    expect((await post(userDataUpdated({ userId, event: 'User.Deleted', method: 'DELETE', status: 204, createdAt: new Date(Date.now() + 1000).toISOString() }))).status).toBe(200);
    const deleted = await until('logto', userId, (s) => s.status.value === 'deleted', 'the deletion');
    expect(deleted.profile).toEqual({});
  });

  it('publishes each applied change on the feed within a second, once for a redelivered event, without profile values', async () => {
    await start();
    const userId = kakaoUser();
    const controller = new AbortController();
    const response = await api(baseUrl, '/v1/accounts/changes', { signal: controller.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const messages: { event: string; data: string; receivedAt: number }[] = [];
    const reading = (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of response.body! as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
          const data = /^data: (.*)$/m.exec(block)?.[1] ?? '';
          messages.push({ event, data, receivedAt: Date.now() });
        }
      }
    })().catch(() => {});
    await waitFor(() => messages.some((message) => message.event === 'ready'), { what: 'the ready event' });

    const t = Date.now() - 5000;
    const token = await kakaoEvent(key, 'user-profile-changed', userId, t, { email: 'feed@example.com' });
    await send(Promise.resolve(token));
    await send(Promise.resolve(token)); // a redelivery: no second change
    const revoke = kakaoEvent(key, 'sessions-revoked', userId, t + 1000);
    await send(revoke);
    const acknowledged = Date.now();
    const mine = () => messages.filter((message) => message.event === 'change' && message.data.includes(userId));
    await waitFor(() => mine().some((message) => message.data.includes('"sessions-revoked"')), { what: 'the revocation on the feed', timeoutMs: 5000 });
    const revocation = mine().find((message) => message.data.includes('"sessions-revoked"'))!;
    expect(revocation.receivedAt - acknowledged).toBeLessThan(1000);
    await sleep(300);
    const changes = mine().map((message) => JSON.parse(message.data));
    expect(changes.map((change) => change.action)).toEqual(['profile-updated', 'sessions-revoked']);
    expect(changes[1]).toMatchObject({ provider: 'kakao', userId, status: 'active', sessionsRevokedAt: new Date(Math.floor((t + 1000) / 1000) * 1000).toISOString(), eventType: 'kakao.sessions-revoked' });
    expect(mine().map((message) => message.data).join('\n')).not.toContain('feed@example.com');
    controller.abort();
    await reading;
  });
});
