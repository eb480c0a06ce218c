import { randomUUID } from 'node:crypto';
import { Socket } from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { TEST_DATABASE_URL, TEST_REDIS_CLUSTER_NODES, TEST_REDIS_URL, type TestBackend, type TestStoreKind } from '../../helpers/backends.js';
import { LOGTO_KEY, signLogto, userDataUpdated } from '../../helpers/logto-signer.js';
import { runService, type RunningService } from '../../helpers/service.js';
import { testConfig } from '../../helpers/test-config.js';

/** The account API token the test services accept (32 characters). */
export const TOKEN = 'client-test-token-0123456789abcd';

/** The whole service (receiver, worker, built-in account-state handler, account API) for one describe block. */
export function useAccountService(store: () => TestBackend): () => RunningService {
  let running: RunningService | undefined;
  beforeAll(async () => {
    // KAKAO_AUDIENCE empty: the Kakao endpoint (and its JWKS fetch) stays off.
    const config = testConfig({ ...store().env, KAKAO_AUDIENCE: '', LOGTO_SIGNING_KEYS: LOGTO_KEY, ACCOUNT_API_TOKENS: TOKEN });
    running = await runService(config, { backend: store().backend });
  });
  afterAll(async () => {
    await running?.close();
  });
  return () => running!;
}

export const newUserId = () => `u-${randomUUID()}`;

/** POSTs a signed Logto webhook over real HTTP; throws unless it is acknowledged. */
export async function postLogtoEvent(baseUrl: string, payload: Record<string, unknown>): Promise<void> {
  const body = JSON.stringify(payload);
  const response = await fetch(`${baseUrl}/webhooks/logto`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'logto-signature-sha-256': signLogto(LOGTO_KEY, body) },
    body,
  });
  if (response.status !== 200) throw new Error(`the webhook was answered ${response.status}: ${await response.text()}`);
}

/** Sets the user's profile (status untouched). */
export const profileUpdate = (userId: string) => userDataUpdated({ userId });

/** Suspends the user: status disabled, sessions revoked at `createdAt`. */
export const suspension = (userId: string, createdAt = new Date().toISOString()) =>
  userDataUpdated({ userId, createdAt, event: 'User.SuspensionStatus.Updated', matchedRoute: '/users/:userId/is-suspended', data: { id: userId, isSuspended: true } });

/** Revokes the user's sessions at `createdAt`. */
export const passwordReset = (userId: string, createdAt = new Date().toISOString()) => ({
  event: 'PostResetPassword',
  interactionEvent: 'ForgotPassword',
  createdAt,
  sessionId: 's1',
  userId,
  user: { id: userId },
});

/** A fetch that records every request it makes ("GET http://..."), for asserting what went over the wire. */
export function countingFetch(inner: typeof fetch = fetch) {
  const calls: string[] = [];
  const counted: typeof fetch = (input, init) => {
    calls.push(`${init?.method ?? 'GET'} ${String(input)}`);
    return inner(input, init);
  };
  return {
    fetch: counted,
    calls,
    /** Requests about this user (its id, URL-encoded, in the path). */
    about: (userId: string) => calls.filter((call) => call.includes(`/${encodeURIComponent(userId)}`)),
  };
}

/** Local ports of this process's open TCP connections to `remotePort`. */
function ownPortsTo(remotePort: number): Set<number> {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return new Set(handles.filter((handle): handle is Socket => handle instanceof Socket && handle.remotePort === remotePort).map((socket) => socket.localPort!));
}

/**
 * Breaks the service's own change subscription to its store (the Redis SUBSCRIBE or PostgreSQL
 * LISTEN connection of this test process, never another process's): what the server sees when
 * its store feed is interrupted. Resolves with how many connections were ended.
 */
export async function interruptStoreFeed(kind: Exclude<TestStoreKind, 'embedded'>): Promise<number> {
  if (kind === 'redis') return killOwnSubscriptions(TEST_REDIS_URL);
  if (kind === 'cluster') {
    // The subscription is on one of the nodes, whichever ioredis chose.
    const killed = await Promise.all(TEST_REDIS_CLUSTER_NODES!.split(',').map((address) => killOwnSubscriptions(`redis://${address}`)));
    return killed.reduce((sum, count) => sum + count, 0);
  }
  const ports = [...ownPortsTo(5432)];
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ ended: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
       WHERE query ILIKE 'LISTEN account_changes%' AND client_port = ANY($1::int[])`,
      [ports],
    );
    return rows.filter((row) => row.ended).length;
  } finally {
    await client.end();
  }
}

/** Ends this process's pub/sub connections to the Redis at `url`; how many it ended. */
async function killOwnSubscriptions(url: string): Promise<number> {
  const ports = ownPortsTo(Number(new URL(url).port));
  const redis = new Redis(url);
  try {
    const list = (await redis.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
    const ids = list
      .split('\n')
      .filter((line) => ports.has(Number(/ addr=[^ ]+:(\d+) /.exec(` ${line}`)?.[1])))
      .map((line) => /id=(\d+)/.exec(line)![1]!);
    for (const id of ids) await redis.call('CLIENT', 'KILL', 'ID', id);
    return ids.length;
  } finally {
    redis.disconnect();
  }
}
