import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { pino } from 'pino';
import type { BackendKind, QueueBackend } from '../../src/queue/backend.js';
import { createEmbeddedBackend } from '../../src/queue/backends/embedded-backend.js';
import { postgresBackendFromUrl } from '../../src/queue/backends/postgres-backend.js';
import { createRedisBackend } from '../../src/queue/backends/redis-backend.js';
import { loadConfig } from '../../src/config/config.js';

/**
 * The backend matrix. Every test that runs "against each backend" asks for BACKENDS: the stores
 * that answer on this machine (the embedded one always does). TEST_BACKENDS=redis,postgres,embedded
 * (as CI sets it) names the matrix instead, and a store in it that does not answer fails the run
 * rather than silently shrinking the matrix; TEST_BACKENDS=embedded runs as a machine with
 * nothing but Node.js would.
 *
 * `cluster` is a fourth store: a 3-master Redis Cluster that test/global-setup.ts starts on free
 * ports for the run (its seed nodes in TEST_REDIS_CLUSTER_NODES). It is the Redis backend, reached
 * through ioredis's Cluster client.
 */
export type TestStoreKind = BackendKind | 'cluster';
export const TEST_REDIS_URL = 'redis://127.0.0.1:6379';
/** The run's cluster, when test/global-setup.ts started one. */
export const TEST_REDIS_CLUSTER_NODES = process.env.TEST_REDIS_CLUSTER_NODES;
/** Whether a store kind is Redis (a single node or the cluster). */
export const isRedis = (kind: TestStoreKind): kind is 'redis' | 'cluster' => kind === 'redis' || kind === 'cluster';
export const TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

async function answers(kind: TestStoreKind): Promise<boolean> {
  if (kind === 'embedded') return true;
  if (kind === 'cluster') return TEST_REDIS_CLUSTER_NODES !== undefined;
  if (kind === 'redis') {
    const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on('error', () => {});
    try {
      await redis.connect();
      return (await redis.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      redis.disconnect();
    }
  }
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 500 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function detect(): Promise<TestStoreKind[]> {
  const chosen = (process.env.TEST_BACKENDS ?? '').split(',').filter(Boolean) as TestStoreKind[];
  if (chosen.length > 0) {
    // Exactly these, and each must answer.
    for (const kind of chosen) {
      if (!(await answers(kind))) throw new Error(`TEST_BACKENDS requires ${kind}, but it does not answer`);
    }
    return chosen;
  }
  const found: TestStoreKind[] = [];
  for (const kind of ['redis', 'postgres', 'embedded', 'cluster'] as const) if (await answers(kind)) found.push(kind);
  return found;
}

export const BACKENDS: TestStoreKind[] = await detect();
/** For tests about one provider's edge cases: Redis where it runs, else the embedded store. */
export const DEFAULT_BACKEND: TestStoreKind = BACKENDS.includes('redis') ? 'redis' : 'embedded';

export interface TestBackend {
  backend: QueueBackend;
  /** Environment that selects this backend in loadConfig(). */
  env: Record<string, string | undefined>;
  close(): Promise<void>;
}

const silent = pino({ level: 'silent' });

/** Opens a store for one test file; tests use their own queue names inside it. */
export async function openTestBackend(kind: TestStoreKind): Promise<TestBackend> {
  switch (kind) {
    case 'redis':
      return wrap(createRedisBackend(TEST_REDIS_URL, silent), { REDIS_URL: TEST_REDIS_URL, DATABASE_URL: undefined });
    case 'cluster': {
      if (!TEST_REDIS_CLUSTER_NODES) throw new Error('no test cluster: TEST_REDIS_CLUSTER_NODES is unset (test/global-setup.ts starts one)');
      const env = { REDIS_CLUSTER_NODES: TEST_REDIS_CLUSTER_NODES, REDIS_URL: undefined, DATABASE_URL: undefined };
      // The same configuration the service builds from this environment.
      return wrap(redisBackendOf(env), env);
    }
    case 'postgres':
      return wrap(await postgresBackendFromUrl(TEST_DATABASE_URL, silent), { REDIS_URL: undefined, DATABASE_URL: TEST_DATABASE_URL });
    case 'embedded': {
      const dataDir = mkdtempSync(join(tmpdir(), 'receiver-test-'));
      // Room for the event worker and up to three forwarding targets' delivery workers.
      const backend = await createEmbeddedBackend(dataDir, silent, { workers: 4 });
      return wrap(backend, { REDIS_URL: undefined, DATABASE_URL: undefined, DATA_DIR: dataDir }, () => rmSync(dataDir, { recursive: true, force: true }));
    }
  }
}

/** The Redis backend the service builds from `env` (a topology other than REDIS_URL). */
function redisBackendOf(env: Record<string, string | undefined>): QueueBackend {
  const { store } = loadConfig(env);
  if (store.kind !== 'redis') throw new Error(`expected the Redis store, got ${store.kind}`);
  return createRedisBackend(store.redis, silent);
}

function wrap(backend: QueueBackend, env: TestBackend['env'], cleanup?: () => void): TestBackend {
  return {
    backend,
    env,
    async close() {
      await backend.close();
      cleanup?.();
    },
  };
}

/** A store of the given kind that does not answer: nothing listens, or the embedded store is closed. */
export async function openUnavailableBackend(kind: TestStoreKind): Promise<TestBackend> {
  switch (kind) {
    case 'redis':
      return wrap(createRedisBackend('redis://127.0.0.1:1', silent), { REDIS_URL: 'redis://127.0.0.1:1' });
    case 'cluster': {
      const env = { REDIS_CLUSTER_NODES: '127.0.0.1:1', REDIS_URL: undefined, DATABASE_URL: undefined };
      return wrap(redisBackendOf(env), env);
    }
    case 'postgres':
      return wrap(await postgresBackendFromUrl('postgres://postgres@127.0.0.1:1/test', silent), {
        REDIS_URL: undefined,
        DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test',
      });
    case 'embedded': {
      const open = await openTestBackend('embedded');
      await open.close();
      return wrap(open.backend, open.env);
    }
  }
}
