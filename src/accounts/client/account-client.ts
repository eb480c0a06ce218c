/**
 * A client of the account API for applications. It imports nothing of the server (no fastify,
 * bullmq, pino, pg, ioredis): only types, the pure session rules it shares with the server, and
 * an SSE parser. test/accounts/client/account-client.test.ts checks that this stays so.
 */
import type { AccountState } from '../model.js';
import { parseIssuedAt, type SessionCheck } from '../session-check.js';
import { readChangeFeed, type ChangeHandlers } from './change-feed.js';
import { AccountClientError, errorOf, networkError } from './errors.js';

export type Provider = AccountState['provider'];

export interface AccountClientOptions {
  /** Where the service listens, e.g. `https://webhooks.example.com`. */
  baseUrl: string;
  /** One of the service's ACCOUNT_API_TOKENS. */
  token: string;
  /** Defaults to the global fetch; tests and proxies pass their own. */
  fetch?: typeof fetch;
  /** Per request (for the change feed: until it answers). Default 5000. */
  timeoutMs?: number;
  /** The change feed is taken for dead after this long without a byte (the server pings every 15 s). Default 45000. */
  feedIdleTimeoutMs?: number;
}

export interface SessionToCheck {
  provider: Provider;
  userId: string;
  /** When the session was issued: a Date, an ISO 8601 date-time with a time zone, or epoch ms. */
  issuedAt: Date | string | number;
}

export interface AccountClient {
  /** The user's state; null when no event has named the user. */
  get(provider: Provider, userId: string): Promise<AccountState | null>;
  checkSession(session: SessionToCheck): Promise<SessionCheck>;
  /** Any number of sessions, in requests of at most 100; the answers keep the order asked. */
  checkSessions(sessions: readonly SessionToCheck[]): Promise<SessionCheck[]>;
  /**
   * Reads the change feed until it ends (see ChangeHandlers): resolves when the server ends it
   * or `signal` aborts, rejects with an AccountClientError when it cannot connect or breaks.
   * It does not reconnect: createSessionGuard does, dropping its cache in between.
   */
  subscribeChanges(handlers: ChangeHandlers, signal?: AbortSignal): Promise<void>;
}

/** The server's batch limit (MAX_BATCH in the routes). */
export const MAX_SESSIONS_PER_REQUEST = 100;
/** Batch requests in flight at once for a large checkSessions. */
const BATCH_CONCURRENCY = 4;

/**
 * `issuedAt` as epoch ms, by the server's own rules (parseIssuedAt), so that a bad value fails
 * here the same way for the client and the guard, without a round trip.
 */
export function issuedAtMs(issuedAt: SessionToCheck['issuedAt']): number {
  const ms = parseIssuedAt(issuedAt instanceof Date ? issuedAt.getTime() : issuedAt);
  if (Number.isNaN(ms)) throw new RangeError(`issuedAt must be a valid Date, an ISO 8601 date-time with a time zone, or epoch milliseconds; got ${String(issuedAt)}`);
  return ms;
}

export function createAccountClient(options: AccountClientOptions): AccountClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 5000;
  const headers = { authorization: `Bearer ${options.token}` };
  const accountPath = (provider: Provider, userId: string) => `/v1/accounts/${encodeURIComponent(provider)}/${encodeURIComponent(userId)}`;

  async function request(path: string, init: { method?: 'GET' | 'POST'; body?: unknown } = {}): Promise<Response> {
    let response: Response;
    try {
      response = await fetchImpl(`${base}${path}`, {
        method: init.method ?? 'GET',
        headers: init.body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw networkError(error, `${init.method ?? 'GET'} ${path}`);
    }
    return response;
  }

  async function json<T>(response: Response): Promise<T> {
    if (!response.ok) throw await errorOf(response);
    try {
      return (await response.json()) as T;
    } catch (error) {
      throw networkError(error, 'reading the answer');
    }
  }

  const wire = (session: SessionToCheck) => ({ provider: session.provider, userId: session.userId, issuedAt: issuedAtMs(session.issuedAt) });

  async function checkBatch(sessions: readonly SessionToCheck[]): Promise<SessionCheck[]> {
    const { results } = await json<{ results: SessionCheck[] }>(await request('/v1/sessions/check', { method: 'POST', body: { sessions: sessions.map(wire) } }));
    if (results.length !== sessions.length) throw new AccountClientError(200, 'ERR_BAD_ANSWER', `asked about ${sessions.length} sessions, got ${results.length} answers`);
    return results;
  }

  return {
    async get(provider, userId) {
      const response = await request(accountPath(provider, userId));
      if (response.status === 404) {
        const error = await errorOf(response);
        // Only the API's own "unknown user" means no state: a 404 from a route that is not
        // there (no ACCOUNT_API_TOKENS on the server, a wrong base URL) must not read as "allowed".
        if (error.code === 'ERR_ACCOUNT_NOT_FOUND') return null;
        throw error;
      }
      return json<AccountState>(response);
    },

    async checkSession(session) {
      const { issuedAt } = wire(session);
      return json<SessionCheck>(await request(`${accountPath(session.provider, session.userId)}/sessions/check?issuedAt=${issuedAt}`));
    },

    async checkSessions(sessions) {
      for (const session of sessions) wire(session); // a bad issuedAt fails before any request
      const batches: (readonly SessionToCheck[])[] = [];
      for (let start = 0; start < sessions.length; start += MAX_SESSIONS_PER_REQUEST) batches.push(sessions.slice(start, start + MAX_SESSIONS_PER_REQUEST));
      const answers: SessionCheck[][] = new Array(batches.length);
      let nextBatch = 0;
      const lane = async () => {
        for (let index = nextBatch++; index < batches.length; index = nextBatch++) answers[index] = await checkBatch(batches[index]!);
      };
      await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, batches.length) }, lane));
      return answers.flat();
    },

    subscribeChanges(handlers, signal) {
      return readChangeFeed(
        { url: `${base}/v1/accounts/changes`, headers, fetch: fetchImpl, connectTimeoutMs: timeoutMs, idleTimeoutMs: options.feedIdleTimeoutMs ?? 45_000 },
        handlers,
        signal,
      );
    },
  };
}
