import type { AccountChange } from '../model.js';
import { checkSessionFacts, type SessionCheck } from '../session-check.js';
import { createAccountClient, issuedAtMs, type AccountClient, type AccountClientOptions, type Provider, type SessionToCheck } from './account-client.js';
import { factsOfChange, factsOfState, mergeFacts, type CachedFacts } from './cached-facts.js';
import { AccountClientError } from './errors.js';

export type SessionGuardOptions = ({ client: AccountClient } | AccountClientOptions) & {
  /** Users kept; beyond this the least recently used is dropped. Default 100000. */
  maxEntries?: number;
  /** Wait before reconnecting a feed that ended. Default 1000; longer when a refusal's Retry-After asks. */
  reconnectDelayMs?: number;
};

export interface SessionGuardStats {
  connected: boolean;
  entries: number;
  /** Checks answered from memory. */
  hits: number;
  /** Users read through the API (first check while connected). */
  loads: number;
  /** Checks sent to the API because the feed was not connected. */
  networkChecks: number;
  connects: number;
  disconnects: number;
}

export interface SessionGuard {
  /**
   * Resolves once the change feed is connected (at once if it is). Rejects if the guard is closed,
   * or if the feed is refused in a way retrying cannot fix (a wrong token: 401, 403, 404); the
   * guard keeps retrying in the background even then.
   */
  ready(): Promise<void>;
  /** The server's answer: from memory once the user is warm, else through the API. */
  check(session: SessionToCheck): Promise<SessionCheck>;
  /** True when a check of this user would be answered from memory. */
  isWarm(provider: Provider, userId: string): boolean;
  stats(): SessionGuardStats;
  close(): Promise<void>;
}

interface Load {
  /** The feed connection the read began under; a read begun before a drop is not cached. */
  connection: number;
  /** What the feed said about the user while the read was in flight. */
  fromFeed: CachedFacts | null;
  promise: Promise<CachedFacts>;
}

const keyOf = (provider: string, userId: string) => `${provider}:${userId}`; // providers hold no ':'

/**
 * Session checks without a round trip per request. The guard follows the change feed and keeps
 * each user's session facts in memory: a user is read once through the API, and from then on
 * every change to it arrives through the feed. The feed can miss changes only while it is down,
 * so whenever it ends the memory is dropped, checks go to the API, and the feed is reconnected.
 * A check never answers from memory that the feed has not kept current.
 */
export function createSessionGuard(options: SessionGuardOptions): SessionGuard {
  const client = 'client' in options ? options.client : createAccountClient(options);
  const maxEntries = options.maxEntries ?? 100_000;
  const reconnectDelayMs = options.reconnectDelayMs ?? 1000;

  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const cache = new Map<string, CachedFacts>();
  const loading = new Map<string, Load>();
  const counts = { hits: 0, loads: 0, networkChecks: 0, connects: 0, disconnects: 0 };
  let connected = false;
  let connection = 0;
  let closed = false;
  let waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  let feed: AbortController | undefined;
  let wakeUp: (() => void) | undefined;

  function remember(key: string, facts: CachedFacts) {
    cache.delete(key);
    cache.set(key, facts);
    if (cache.size > maxEntries) cache.delete(cache.keys().next().value!);
  }

  function onReady() {
    connected = true;
    counts.connects += 1;
    for (const waiter of waiters.splice(0)) waiter.resolve();
  }

  function onChange(change: AccountChange) {
    if (!connected) return;
    const key = keyOf(change.provider, change.userId);
    const facts = factsOfChange(change);
    // Kept apart as well: the cached entry may be evicted before the read it races with ends.
    const load = loading.get(key);
    if (load) load.fromFeed = load.fromFeed ? mergeFacts(load.fromFeed, facts) : facts;
    const current = cache.get(key);
    remember(key, current ? mergeFacts(current, facts) : facts);
  }

  /** The feed ended: it may have missed changes, so nothing cached can be trusted. */
  function drop() {
    if (connected) counts.disconnects += 1;
    connected = false;
    connection += 1;
    cache.clear();
    loading.clear();
  }

  function refuseWaiters(error: unknown) {
    const status = error instanceof AccountClientError ? error.status : 0;
    if (status === 401 || status === 403 || status === 404) for (const waiter of waiters.splice(0)) waiter.reject(error);
  }

  const running = (async () => {
    while (!closed) {
      feed = new AbortController();
      let delayMs = reconnectDelayMs;
      try {
        await client.subscribeChanges({ onReady, onChange, onDisconnect: drop }, feed.signal);
      } catch (error) {
        refuseWaiters(error);
        // A refusal that says when to come back (429: the token holds its most streams; 503) is
        // obeyed, or every guard of an application would knock once per reconnectDelayMs.
        const retryAfterSeconds = error instanceof AccountClientError ? error.retryAfterSeconds : undefined;
        if (retryAfterSeconds !== undefined) delayMs = Math.max(delayMs, retryAfterSeconds * 1000);
      }
      drop();
      if (closed) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakeUp = undefined;
    }
  })();

  function load(key: string, provider: Provider, userId: string): Promise<CachedFacts> {
    const pending = loading.get(key);
    if (pending) return pending.promise;
    counts.loads += 1;
    const entry: Load = { connection, fromFeed: null, promise: undefined as never };
    entry.promise = client.get(provider, userId).then(
      (state) => {
        if (loading.get(key) === entry) loading.delete(key);
        // The feed's word is applied after the read, so a change that raced the read is kept.
        const facts = entry.fromFeed ? mergeFacts(factsOfState(state), entry.fromFeed) : factsOfState(state);
        if (connected && entry.connection === connection) remember(key, facts);
        return facts;
      },
      (error: unknown) => {
        if (loading.get(key) === entry) loading.delete(key);
        throw error;
      },
    );
    loading.set(key, entry);
    return entry.promise;
  }

  return {
    ready() {
      if (closed) return Promise.reject(new Error('the session guard is closed'));
      if (connected) return Promise.resolve();
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },

    async check(session) {
      const at = issuedAtMs(session.issuedAt);
      if (closed) throw new Error('the session guard is closed');
      if (!connected) {
        counts.networkChecks += 1;
        return client.checkSession(session);
      }
      const key = keyOf(session.provider, session.userId);
      const cached = cache.get(key);
      if (cached) {
        counts.hits += 1;
        remember(key, cached);
        return checkSessionFacts(cached, at);
      }
      return checkSessionFacts(await load(key, session.provider, session.userId), at);
    },

    isWarm(provider, userId) {
      return connected && cache.has(keyOf(provider, userId));
    },

    stats() {
      return { connected, entries: cache.size, ...counts };
    },

    async close() {
      if (closed) return running;
      closed = true;
      feed?.abort();
      wakeUp?.();
      await running;
      const error = new Error('the session guard is closed');
      for (const waiter of waiters.splice(0)) waiter.reject(error);
      waiters = [];
    },
  };
}
