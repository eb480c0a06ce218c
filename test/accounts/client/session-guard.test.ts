import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { mergeFacts, UNKNOWN_USER, type CachedFacts } from '../../../src/accounts/client/cached-facts.js';
import { AccountClientError, createAccountClient, createSessionGuard, type AccountChange, type SessionGuard, type SessionGuardOptions } from '../../../src/accounts/client/index.js';
import { BACKENDS } from '../../helpers/backends.js';
import { useTestBackend } from '../../helpers/receiver.js';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';
import { testConfig } from '../../helpers/test-config.js';
import { waitFor } from '../../helpers/wait-for.js';
import { countingFetch, interruptStoreFeed, newUserId, passwordReset, postLogtoEvent, profileUpdate, suspension, TOKEN, useAccountService } from './fixture.js';

describe.each(BACKENDS)('session guard against the running service, on %s', (kind) => {
  const store = useTestBackend(kind);
  const service = useAccountService(store);
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of cleanup.splice(0).reverse()) await close();
  });

  /** A guard whose every request is counted; the feed's own connection is one request per connect. */
  async function openGuard(options: Partial<SessionGuardOptions> & { baseUrl?: string; inner?: typeof fetch } = {}) {
    const counted = countingFetch(options.inner);
    const guard = createSessionGuard({ baseUrl: service().baseUrl, token: TOKEN, fetch: counted.fetch, ...options });
    cleanup.push(() => guard.close());
    await guard.ready();
    return { guard, counted };
  }

  /** Every change the service publishes, from a subscription of the test's own. */
  async function watchChanges() {
    const seen: AccountChange[] = [];
    const controller = new AbortController();
    let ready!: () => void;
    const live = new Promise<void>((resolve) => (ready = resolve));
    const feed = createAccountClient({ baseUrl: service().baseUrl, token: TOKEN }).subscribeChanges({ onReady: ready, onChange: (change) => void seen.push(change) }, controller.signal);
    cleanup.push(async () => {
      controller.abort();
      await feed.catch(() => {});
    });
    await live;
    return { of: (userId: string) => seen.find((change) => change.userId === userId) };
  }

  const session = (userId: string, issuedAt: number | Date | string = Date.now()) => ({ provider: 'logto' as const, userId, issuedAt });

  it('reads a user once, then answers from memory with no request, as the API would', async () => {
    const known = newUserId();
    const unknown = newUserId();
    await postLogtoEvent(service().baseUrl, passwordReset(known));
    const api = createAccountClient({ baseUrl: service().baseUrl, token: TOKEN });
    const revokedAt = await waitFor(async () => (await api.get('logto', known))?.sessionsRevokedAt, { what: 'the revocation' });

    const { guard, counted } = await openGuard();
    expect(counted.calls).toEqual([`GET ${service().baseUrl}/v1/accounts/changes`]);
    expect(guard.isWarm('logto', known)).toBe(false);
    // Concurrent first checks share one read.
    await Promise.all(Array.from({ length: 5 }, () => guard.check(session(known))));
    await guard.check(session(unknown));
    expect(counted.about(known)).toEqual([`GET ${service().baseUrl}/v1/accounts/logto/${known}`]);
    expect(counted.about(unknown)).toEqual([`GET ${service().baseUrl}/v1/accounts/logto/${unknown}`]);
    expect(guard.isWarm('logto', known) && guard.isWarm('logto', unknown)).toBe(true);

    const before = counted.calls.length;
    const revoked = Date.parse(revokedAt);
    for (const issuedAt of [revoked - 3_600_000, revoked - 1, revoked, new Date(revoked + 1), new Date(revoked + 5000).toISOString()]) {
      for (const userId of [known, unknown]) expect(await guard.check(session(userId, issuedAt))).toEqual(await api.checkSession(session(userId, issuedAt)));
    }
    expect(counted.calls).toHaveLength(before);
    expect(guard.stats()).toMatchObject({ connected: true, loads: 2, networkChecks: 0 });
  });

  it('a revocation posted after warm-up flips the answer within a second of being stored, with no request', async () => {
    const userId = newUserId();
    const { guard, counted } = await openGuard();
    const watcher = await watchChanges();
    const issued = Date.now() - 1000;
    expect(await guard.check(session(userId, issued))).toMatchObject({ allowed: true });
    const reads = counted.calls.length;

    await postLogtoEvent(service().baseUrl, passwordReset(userId));
    const refused = await waitFor(async () => {
      const answer = await guard.check(session(userId, issued));
      return answer.allowed ? undefined : { answer, at: Date.now() };
    }, { timeoutMs: 3000, intervalMs: 5, what: 'the guard to refuse the session' });
    expect(refused.answer).toMatchObject({ allowed: false, reason: 'sessions-revoked', status: 'active' });
    const stored = await waitFor(() => watcher.of(userId), { what: 'the change' });
    expect(refused.at - Date.parse(stored.publishedAt)).toBeLessThan(1000);

    await postLogtoEvent(service().baseUrl, suspension(userId));
    await waitFor(async () => (await guard.check(session(userId, Date.now()))).reason === 'account-disabled', { timeoutMs: 3000, intervalMs: 5, what: 'the suspension' });
    expect(counted.calls).toHaveLength(reads);
  });

  it('a user the feed names is warm without a read', async () => {
    const userId = newUserId();
    const { guard, counted } = await openGuard();
    await postLogtoEvent(service().baseUrl, suspension(userId));
    await waitFor(() => guard.isWarm('logto', userId), { timeoutMs: 3000, what: 'the feed to name the user' });
    expect(await guard.check(session(userId))).toMatchObject({ allowed: false, reason: 'account-disabled', status: 'disabled' });
    expect(counted.about(userId)).toEqual([]);
  });

  it('a change that arrives while the first read is in flight is not lost', async () => {
    const userId = newUserId();
    // The read reaches the server at once (it reads the state before the revocation), but its
    // answer is held back until the revocation has come through the feed.
    let readDone!: () => void;
    const read = new Promise<void>((resolve) => (readDone = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const holding: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (String(input).endsWith(`/v1/accounts/logto/${userId}`)) {
        readDone();
        await released;
      }
      return response;
    };
    await postLogtoEvent(service().baseUrl, profileUpdate(userId));
    const api = createAccountClient({ baseUrl: service().baseUrl, token: TOKEN });
    await waitFor(() => api.get('logto', userId), { what: 'the profile' });
    const { guard, counted } = await openGuard({ inner: holding });

    const issued = Date.now() - 1000;
    const answer = guard.check(session(userId, issued));
    await read;
    await postLogtoEvent(service().baseUrl, passwordReset(userId));
    // Warm is not enough: the profile change's own announcement can reach the guard late (on a
    // cluster it crosses the cluster bus), so wait until its memory holds the revocation itself.
    // A check of a warm user is answered from memory and does not wait for the held read.
    await waitFor(async () => guard.isWarm('logto', userId) && (await guard.check(session(userId, issued))).allowed === false, {
      timeoutMs: 3000,
      what: 'the revocation through the feed',
    });
    release();
    expect(await answer).toMatchObject({ allowed: false, reason: 'sessions-revoked' });
    expect(await guard.check(session(userId, issued))).toMatchObject({ allowed: false, reason: 'sessions-revoked' });
    expect(counted.about(userId)).toHaveLength(1);
  });

  it('feed dropped: memory is dropped, checks go to the network, and the feed reconnects', async () => {
    const proxy: TcpProxy = await startTcpProxy(Number(new URL(service().baseUrl).port));
    cleanup.push(() => proxy.close());
    const { guard, counted } = await openGuard({ baseUrl: `http://127.0.0.1:${proxy.port}`, reconnectDelayMs: 200 });
    const userId = newUserId();
    await guard.check(session(userId));
    expect(guard.isWarm('logto', userId)).toBe(true);

    await proxy.cut();
    await waitFor(() => !guard.stats().connected, { timeoutMs: 2000, what: 'the guard to see the drop' });
    expect(guard.isWarm('logto', userId)).toBe(false);
    expect(guard.stats().entries).toBe(0);
    // Not answered from memory: the check goes to the API, which cannot be reached.
    const calls = counted.about(userId).length;
    await expect(guard.check(session(userId))).rejects.toMatchObject({ name: 'AccountClientError', status: 0 });
    expect(counted.about(userId).slice(calls)).toEqual([expect.stringContaining(`/v1/accounts/logto/${userId}/sessions/check?issuedAt=`)]);

    await proxy.restore();
    await guard.ready();
    expect(guard.stats()).toMatchObject({ connected: true, connects: 2, disconnects: 1 });
    await guard.check(session(userId));
    expect(counted.about(userId).slice(calls + 1)).toEqual([expect.stringMatching(new RegExp(`^GET .*/v1/accounts/logto/${userId}$`))]);
    const reads = counted.calls.length;
    await postLogtoEvent(service().baseUrl, passwordReset(userId, new Date(Date.now() + 1).toISOString()));
    await waitFor(async () => !(await guard.check(session(userId, Date.now() - 1000))).allowed, { timeoutMs: 3000, what: 'the reconnected feed' });
    expect(counted.calls).toHaveLength(reads);
  });

  it.skipIf(kind === 'embedded')('the server ends the stream when its store feed breaks: the guard drops memory, asks the API, and reconnects', async () => {
    const { guard, counted } = await openGuard({ reconnectDelayMs: 1500 });
    const userId = newUserId();
    await guard.check(session(userId));
    expect(guard.isWarm('logto', userId)).toBe(true);

    expect(await interruptStoreFeed(kind as 'redis' | 'postgres' | 'cluster')).toBeGreaterThan(0);
    await waitFor(() => !guard.stats().connected, { timeoutMs: 3000, what: 'the stream to end' });
    expect(guard.stats().entries).toBe(0);
    // While it waits to reconnect, checks are answered by the API.
    expect(await guard.check(session(userId))).toMatchObject({ allowed: true });
    expect(counted.about(userId).at(-1)).toContain('/sessions/check?issuedAt=');
    expect(guard.stats().networkChecks).toBe(1);

    await guard.ready();
    await guard.check(session(userId));
    const reads = counted.calls.length;
    await postLogtoEvent(service().baseUrl, passwordReset(userId));
    await waitFor(async () => !(await guard.check(session(userId, Date.now() - 1000))).allowed, { timeoutMs: 3000, what: 'a change after the reconnection' });
    expect(counted.calls).toHaveLength(reads);
  });

  it.skipIf(kind === 'embedded')('a guard that reconnects at once after the store feed broke misses no change stored after its ready', async () => {
    const { guard } = await openGuard({ reconnectDelayMs: 0 });
    for (let round = 0; round < 3; round += 1) {
      const connects = guard.stats().connects;
      expect(await interruptStoreFeed(kind as 'redis' | 'postgres' | 'cluster')).toBeGreaterThan(0);
      await waitFor(() => guard.stats().connects > connects, { timeoutMs: 5000, what: 'the reconnection' });
      const userId = newUserId();
      await guard.check(session(userId, Date.now() - 1000));
      expect(guard.isWarm('logto', userId)).toBe(true);
      await postLogtoEvent(service().baseUrl, passwordReset(userId));
      await waitFor(async () => !(await guard.check(session(userId, Date.now() - 1000))).allowed, { timeoutMs: 3000, what: `the revocation in round ${round}` });
    }
  });

  it('keeps at most maxEntries users, dropping the least recently used', async () => {
    const { guard, counted } = await openGuard({ maxEntries: 2 });
    const [a, b, c] = [newUserId(), newUserId(), newUserId()];
    await guard.check(session(a));
    await guard.check(session(b));
    await guard.check(session(a)); // a is now more recently used than b
    await guard.check(session(c));
    expect([guard.isWarm('logto', a), guard.isWarm('logto', b), guard.isWarm('logto', c)]).toEqual([true, false, true]);
    expect(guard.stats().entries).toBe(2);
    await guard.check(session(b));
    expect(counted.about(b)).toHaveLength(2); // read again once evicted
    expect(counted.about(a)).toHaveLength(1);
  });

  it("waits as long as a refusal's Retry-After asks before reconnecting, and checks through the API meanwhile", async () => {
    // The token's every stream is taken, so the guard's feed is refused: 429 with Retry-After.
    const held = new AbortController();
    // Kept referenced until the cleanup: fetch cancels the body of a response it finds
    // garbage-collected, which would close a held stream and free its slot.
    const streams: Response[] = [];
    cleanup.push(async () => {
      held.abort();
      streams.length = 0;
      // The next test may open streams: wait until the server has given the slots back.
      await waitFor(async () => {
        const probe = new AbortController();
        const { status } = await fetch(`${service().baseUrl}/v1/accounts/changes`, { headers, signal: probe.signal });
        probe.abort();
        return status === 200;
      }, { what: 'the held streams to be released' });
    });
    const headers = { authorization: `Bearer ${TOKEN}` };
    const perToken = testConfig().accounts.changeFeed.maxStreamsPerToken;
    for (let i = 0; i < perToken; i += 1) {
      streams.push(await fetch(`${service().baseUrl}/v1/accounts/changes`, { headers, signal: held.signal }));
      expect(streams.at(-1)!.status).toBe(200);
    }
    const refused = await fetch(`${service().baseUrl}/v1/accounts/changes`, { headers });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    const counted = countingFetch();
    const guard = createSessionGuard({ baseUrl: service().baseUrl, token: TOKEN, fetch: counted.fetch, reconnectDelayMs: 10 });
    cleanup.push(() => guard.close());
    const feedRequests = () => counted.calls.filter((call) => call.endsWith('/v1/accounts/changes')).length;
    await waitFor(() => feedRequests() === 1, { what: 'the first feed request' });
    const userId = newUserId();
    expect(await guard.check(session(userId))).toMatchObject({ allowed: true });
    expect(counted.about(userId)).toHaveLength(1);
    // With reconnectDelayMs alone it would have asked some 30 times by now.
    await sleep(300);
    expect(feedRequests()).toBe(1);
    expect(guard.stats().connected).toBe(false);
  });

  it('ready() rejects a wrong token; a closed guard refuses checks', async () => {
    const wrong = createSessionGuard({ baseUrl: service().baseUrl, token: 'not-the-token-0123456789abcdefgh', reconnectDelayMs: 50 });
    cleanup.push(() => wrong.close());
    await expect(wrong.ready()).rejects.toMatchObject({ status: 401, code: 'ERR_UNAUTHORIZED' });
    await expect(wrong.check(session(newUserId()))).rejects.toBeInstanceOf(AccountClientError); // not connected: the API refuses too

    const { guard } = await openGuard();
    await guard.close();
    await expect(guard.check(session(newUserId()))).rejects.toThrow('closed');
    await expect(guard.ready()).rejects.toThrow('closed');
  });
});

describe('merging an API read with a feed message', () => {
  const facts = (status: CachedFacts['status'], statusAt: number | null, sessionsRevokedAt: number | null): CachedFacts => ({ status, statusAt, sessionsRevokedAt });

  it('keeps the later revocation, whichever side has it', () => {
    expect(mergeFacts(facts('active', null, 10), facts('active', null, 5)).sessionsRevokedAt).toBe(10);
    expect(mergeFacts(facts('active', null, 5), facts('active', null, 10)).sessionsRevokedAt).toBe(10);
    expect(mergeFacts(facts('active', null, null), facts('active', null, 7)).sessionsRevokedAt).toBe(7);
    expect(mergeFacts(facts('active', null, 7), facts('active', null, null)).sessionsRevokedAt).toBe(7);
  });

  it('takes the status set by the later event; no status time is the oldest; a tie keeps the feed', () => {
    expect(mergeFacts(facts('disabled', 20, null), facts('active', 10, null))).toMatchObject({ status: 'disabled', statusAt: 20 });
    expect(mergeFacts(facts('active', 10, null), facts('disabled', 20, null))).toMatchObject({ status: 'disabled', statusAt: 20 });
    expect(mergeFacts(facts('disabled', 5, null), UNKNOWN_USER)).toMatchObject({ status: 'disabled', statusAt: 5 });
    expect(mergeFacts(UNKNOWN_USER, facts('deleted', 5, null))).toMatchObject({ status: 'deleted', statusAt: 5 });
    expect(mergeFacts(facts('disabled', 5, null), facts('active', 5, null))).toMatchObject({ status: 'active', statusAt: 5 });
    expect(mergeFacts(facts('unlinked', null, null), facts('active', null, null)).status).toBe('active');
  });
});
