import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AccountClientError, createAccountClient, type AccountChange, type SessionCheck, type SessionToCheck } from '../../../src/accounts/client/index.js';
import { BACKENDS } from '../../helpers/backends.js';
import { freePort } from '../../helpers/redis-server.js';
import { useTestBackend } from '../../helpers/receiver.js';
import { waitFor } from '../../helpers/wait-for.js';
import { countingFetch, newUserId, passwordReset, postLogtoEvent, profileUpdate, suspension, TOKEN, useAccountService } from './fixture.js';

describe.each(BACKENDS)('account client against the running service, on %s', (kind) => {
  const store = useTestBackend(kind);
  const service = useAccountService(store);
  const client = (options: { token?: string; fetch?: typeof fetch } = {}) => createAccountClient({ baseUrl: service().baseUrl, token: TOKEN, ...options });

  /** Posts a password reset at `at` and waits until the API reports it. */
  async function revoke(userId: string, at = Date.now()) {
    const iso = new Date(at).toISOString();
    await postLogtoEvent(service().baseUrl, passwordReset(userId, iso));
    await waitFor(async () => (await client().get('logto', userId))?.sessionsRevokedAt === iso, { what: 'the revocation to be stored' });
    return at;
  }

  async function suspend(userId: string) {
    await postLogtoEvent(service().baseUrl, suspension(userId));
    await waitFor(async () => (await client().get('logto', userId))?.status.value === 'disabled', { what: 'the suspension to be stored' });
  }

  it('get: null for a user no event named, the stored state for one an event did', async () => {
    const known = newUserId();
    expect(await client().get('logto', known)).toBeNull();
    await postLogtoEvent(service().baseUrl, profileUpdate(known));
    const state = await waitFor(() => client().get('logto', known), { what: 'the profile to be stored' });
    expect(state).toMatchObject({
      provider: 'logto',
      userId: known,
      status: { value: 'active', at: null },
      sessionsRevokedAt: null,
      deletedAt: null,
      lastEvent: { type: 'logto.User.Data.Updated' },
    });
    expect(state.profile.name?.value).toBe('Ada Lovelace');
    expect(await client().get('kakao', known)).toBeNull(); // the same id under the other provider is another user
  });

  it('checkSession: allowed until a revocation, then refused for sessions issued before it', async () => {
    const userId = newUserId();
    const issued = Date.now() - 60_000;
    const allowed: SessionCheck = { allowed: true, reason: null, revokedAt: null, status: 'active' };
    expect(await client().checkSession({ provider: 'logto', userId, issuedAt: issued })).toEqual(allowed);

    const at = await revoke(userId);
    const revokedAt = new Date(at).toISOString();
    for (const issuedAt of [issued, new Date(issued), new Date(issued).toISOString(), at - 1]) {
      expect(await client().checkSession({ provider: 'logto', userId, issuedAt })).toEqual({ allowed: false, reason: 'sessions-revoked', revokedAt, status: 'active' });
    }
    // Issued at or after the revocation: allowed, whichever form and zone the time is given in.
    const later = new Date(at + 1000);
    const inSeoul = new Date(later.getTime() + 9 * 3600_000).toISOString().replace('Z', '+09:00');
    for (const issuedAt of [at, later, inSeoul, String(later.getTime())]) {
      expect(await client().checkSession({ provider: 'logto', userId, issuedAt })).toEqual({ allowed: true, reason: null, revokedAt, status: 'active' });
    }

    await suspend(userId);
    expect(await client().checkSession({ provider: 'logto', userId, issuedAt: Date.now() + 60_000 })).toMatchObject({ allowed: false, reason: 'account-disabled', status: 'disabled' });
  });

  it('checkSession refuses a malformed issuedAt without a request', async () => {
    const counted = countingFetch();
    for (const issuedAt of ['2026-01-01', '2026-01-01T00:00:00', 'yesterday', -1, 1.5, new Date(Number.NaN)]) {
      await expect(client({ fetch: counted.fetch }).checkSession({ provider: 'logto', userId: newUserId(), issuedAt })).rejects.toThrow(RangeError);
    }
    expect(counted.calls).toEqual([]);
  });

  it('checkSessions: keeps the order asked across requests of at most 100', async () => {
    const revoked = newUserId();
    const suspended = newUserId();
    const at = await revoke(revoked);
    await suspend(suspended);

    const sessions: SessionToCheck[] = [];
    const expected: Partial<SessionCheck>[] = [];
    for (let i = 0; i < 250; i += 1) {
      switch (i % 4) {
        case 0:
          sessions.push({ provider: 'logto', userId: revoked, issuedAt: at - 1 - i });
          expected.push({ allowed: false, reason: 'sessions-revoked' });
          break;
        case 1:
          sessions.push({ provider: 'logto', userId: revoked, issuedAt: new Date(at + i) });
          expected.push({ allowed: true, reason: null });
          break;
        case 2:
          sessions.push({ provider: 'logto', userId: suspended, issuedAt: Date.now() });
          expected.push({ allowed: false, reason: 'account-disabled' });
          break;
        default:
          sessions.push({ provider: 'kakao', userId: `unknown-${i}`, issuedAt: 0 });
          expected.push({ allowed: true, reason: null, revokedAt: null, status: 'active' });
      }
    }
    const counted = countingFetch();
    const results = await client({ fetch: counted.fetch }).checkSessions(sessions);
    expect(results).toHaveLength(250);
    results.forEach((result, index) => expect(result, `session ${index}`).toMatchObject(expected[index]!));
    expect(counted.calls).toEqual(Array.from({ length: 3 }, () => `POST ${service().baseUrl}/v1/sessions/check`));

    expect(await client({ fetch: counted.fetch }).checkSessions([])).toEqual([]);
    expect(counted.calls).toHaveLength(3);
  });

  it('a wrong token gets AccountClientError 401 from every call', async () => {
    const wrong = client({ token: 'not-the-token-0123456789abcdefgh' });
    const session = { provider: 'logto' as const, userId: newUserId(), issuedAt: Date.now() };
    const unauthorized = { name: 'AccountClientError', status: 401, code: 'ERR_UNAUTHORIZED' };
    await expect(wrong.get('logto', session.userId)).rejects.toMatchObject(unauthorized);
    await expect(wrong.checkSession(session)).rejects.toMatchObject(unauthorized);
    await expect(wrong.checkSessions([session])).rejects.toMatchObject(unauthorized);
    const disconnects: unknown[] = [];
    await expect(wrong.subscribeChanges({ onChange: () => {}, onDisconnect: (error) => disconnects.push(error) })).rejects.toMatchObject(unauthorized);
    expect(disconnects).toEqual([expect.objectContaining(unauthorized)]);
    await expect(wrong.get('logto', session.userId)).rejects.toBeInstanceOf(AccountClientError);
  });

  it('a 404 that is not "unknown user" throws instead of reading as no state', async () => {
    const misrouted = createAccountClient({ baseUrl: `${service().baseUrl}/not-the-api`, token: TOKEN });
    await expect(misrouted.get('logto', newUserId())).rejects.toMatchObject({ status: 404 });
  });

  it('subscribeChanges: ready, then the change of an event posted after it; an abort ends it quietly', async () => {
    const userId = newUserId();
    const controller = new AbortController();
    const changes: AccountChange[] = [];
    const disconnects: unknown[] = [];
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    const feed = client().subscribeChanges(
      { onReady: ready, onChange: (change) => void changes.push(change), onDisconnect: (error) => disconnects.push(error) },
      controller.signal,
    );
    await isReady;
    const createdAt = new Date().toISOString();
    await postLogtoEvent(service().baseUrl, suspension(userId, createdAt));
    const change = await waitFor(() => changes.find((item) => item.userId === userId), { what: 'the change' });
    expect(change).toMatchObject({ provider: 'logto', userId, status: 'disabled', statusAt: createdAt, sessionsRevokedAt: createdAt, eventType: 'logto.User.SuspensionStatus.Updated' });
    controller.abort();
    await expect(feed).resolves.toBeUndefined();
    expect(disconnects).toEqual([]);
  });
});

describe('account client without a service', () => {
  it('a connection refused is AccountClientError status 0 ERR_NETWORK', async () => {
    const client = createAccountClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, token: TOKEN });
    await expect(client.get('kakao', '1')).rejects.toMatchObject({ name: 'AccountClientError', status: 0, code: 'ERR_NETWORK' });
  });

  it('a server that never answers is ERR_TIMEOUT after timeoutMs, for requests and for the feed', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const client = createAccountClient({ baseUrl: `http://127.0.0.1:${(silent.address() as { port: number }).port}`, token: TOKEN, timeoutMs: 200 });
      const started = Date.now();
      await expect(client.checkSession({ provider: 'kakao', userId: '1', issuedAt: 0 })).rejects.toMatchObject({ status: 0, code: 'ERR_TIMEOUT' });
      await expect(client.subscribeChanges({ onChange: () => {} })).rejects.toMatchObject({ status: 0, code: 'ERR_TIMEOUT' });
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('imports nothing of the server: only session-check.ts, its own files and eventsource-parser run', () => {
    const root = resolve('src/accounts/client');
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      // Only `import type` / `export type` vanish at run time (verbatimModuleSyntax keeps the rest).
      for (const [, typeOnly, specifier] of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s+(type\s+)?(?:[^;'"]*?\s+from\s+)?'([^']+)'/gm)) {
        if (typeOnly) continue;
        if (specifier!.startsWith('.')) visit(join(dirname(file), specifier!.replace(/\.js$/, '.ts')));
        else packages.add(specifier!);
      }
    };
    visit(join(root, 'index.ts'));
    const outside = [...seen].map((file) => relative(root, file)).filter((file) => file.startsWith('..'));
    expect(outside).toEqual(['../session-check.ts']);
    expect([...packages]).toEqual(['eventsource-parser']);
  });
});
