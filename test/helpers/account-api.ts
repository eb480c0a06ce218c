import { Redis } from 'ioredis';
import pg from 'pg';
import { join, resolve } from 'node:path';
import { TEST_DATABASE_URL, TEST_REDIS_CLUSTER_NODES, TEST_REDIS_URL, type TestStoreKind } from './backends.js';
import { KAKAO_ISSUER, setClaims, signSet, type TestKey } from './kakao-transmitter.js';

export const API_TOKEN = 'test-account-api-token-0123456789';
export const OLD_API_TOKEN = 'old-account-api-token-9876543210';

const OAUTH = 'https://schemas.openid.net/secevent/oauth/event-type/';
const RISC = 'https://schemas.openid.net/secevent/risc/event-type/';
/** SET event URIs by our short name, for the events these tests send. */
export const SET_URI = {
  'user-linked': `${OAUTH}user-linked`,
  'user-unlinked': `${OAUTH}user-unlinked`,
  'user-scope-consent': `${OAUTH}user-scope-consent`,
  'user-scope-withdraw': `${OAUTH}user-scope-withdraw`,
  'account-disabled': `${RISC}account-disabled`,
  'account-enabled': `${RISC}account-enabled`,
  'account-purged': `${RISC}account-purged`,
  'sessions-revoked': `${RISC}sessions-revoked`,
  'user-profile-changed': 'https://schemas.kakao.com/platevent/kakao/event-type/user-profile-changed',
} as const;

/** A signed SET of one event about `userId`, which happened at `at` (epoch ms, whole seconds). */
export function kakaoEvent(key: TestKey, type: keyof typeof SET_URI, userId: string, at: number, data: Record<string, unknown> = {}) {
  return signSet(
    key,
    setClaims({
      sub: userId,
      toe: Math.floor(at / 1000),
      events: { [SET_URI[type]]: { subject: { subject_type: 'iss-sub', iss: KAKAO_ISSUER, sub: userId }, ...data } },
    }),
  );
}

export function api(baseUrl: string, path: string, init: RequestInit & { token?: string | null } = {}) {
  const { token = API_TOKEN, ...rest } = init;
  return fetch(`${baseUrl}${path}`, {
    ...rest,
    headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...(rest.body ? { 'content-type': 'application/json' } : {}), ...(rest.headers as Record<string, string>) },
  });
}

/**
 * Every place `needle` occurs in a store: each key and value of the Redis database, or each row
 * of every table of the PostgreSQL database (for the embedded store, reached over its socket).
 */
export async function findInStore(kind: TestStoreKind, env: Record<string, string | undefined>, needle: string): Promise<string[]> {
  if (kind === 'redis') return findInRedis(TEST_REDIS_URL, needle);
  if (kind === 'cluster') {
    // Every node holds its own slots' keys: each master is scanned like a single node.
    const found = await Promise.all(TEST_REDIS_CLUSTER_NODES!.split(',').map((address) => findInRedis(`redis://${address}`, needle)));
    return found.flat();
  }
  const client = new pg.Client(
    kind === 'postgres'
      ? { connectionString: TEST_DATABASE_URL }
      : { host: join(resolve(env.DATA_DIR!), 'socket'), port: 5432, user: 'postgres', database: 'postgres' },
  );
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ schema: string; name: string }>(
      `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
       WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
    );
    const found: string[] = [];
    for (const { schema, name } of tables) {
      const { rows } = await client.query<{ row: string }>(`SELECT t::text AS row FROM "${schema}"."${name}" t`);
      for (const { row } of rows) if (row.includes(needle)) found.push(`${schema}.${name}: ${row.slice(0, 200)}`);
    }
    return found;
  } finally {
    await client.end();
  }
}

async function findInRedis(url: string, needle: string): Promise<string[]> {
  const redis = new Redis(url);
  const found: string[] = [];
  try {
    // Pipelined per SCAN batch: the shared test Redis may hold many thousands of keys.
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
      cursor = next;
      const types = ((await redis.pipeline(keys.map((key) => ['type', key])).exec()) ?? []).map(([, type]) => String(type));
      const reads = keys.map((key, index): [string, ...string[]] => {
        switch (types[index]) {
          case 'string': return ['get', key];
          case 'hash': return ['hgetall', key];
          case 'list': return ['lrange', key, '0', '-1'];
          case 'set': return ['smembers', key];
          case 'zset': return ['zrange', key, '0', '-1'];
          case 'stream': return ['xrange', key, '-', '+'];
          default: return ['exists', key];
        }
      });
      const values = (await redis.pipeline(reads).exec()) ?? [];
      keys.forEach((key, index) => {
        const value = JSON.stringify(values[index]?.[1] ?? '');
        if (key.includes(needle) || value.includes(needle)) found.push(`${key}: ${value.slice(0, 200)}`);
      });
    } while (cursor !== '0');
    return found;
  } finally {
    redis.disconnect();
  }
}
