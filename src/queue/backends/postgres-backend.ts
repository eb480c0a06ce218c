import { createPostgresBackend, Queue, runMigrations, Worker } from 'bullmq';
import pg from 'pg';
import type { Logger } from 'pino';
import { createSqlAccountStore } from '../../accounts/stores/sql-store.js';
import type { AccountStateStore } from '../../accounts/store.js';
import { redactUrl, type JobQueue, type QueueBackend } from '../backend.js';

/** pg settings that reach the database: a URL, or host (a unix socket directory too), port, user, database. */
export interface PgTarget {
  connectionString?: string;
  host?: string;
  port?: number;
  user?: string;
  database?: string;
}

export interface PostgresBackendOptions {
  connection: PgTarget;
  description: string;
  /**
   * One pool of this size for every queue and worker of the process, instead of a pool each,
   * whose queries run one at a time. The embedded database multiplexes every socket onto one
   * session, and the protocol messages of concurrent connections interleave there and fail
   * (measured: "prepared statement does not exist", "bind message supplies 15 parameters, but
   * prepared statement requires 3" with a 0.5 MB job). Every BullMQ operation is one statement,
   * so running them one at a time loses nothing; PGlite runs one at a time anyway.
   */
  sharedPoolSize?: number;
  /**
   * Seconds an idle worker waits for a new-job notification before polling. The embedded
   * database delivers NOTIFY back to the sender only, so there the worker must poll often.
   */
  drainDelaySeconds?: number;
  /** Builds QueueBackend.forgetDeleted from a statement runner on the backend's pool; unset: it does nothing. */
  forgetDeleted?: (run: (sql: string, timeoutMs: number) => Promise<unknown>) => () => Promise<void>;
  onClose?: () => Promise<void>;
}

/**
 * Every request stays inside its budget: a connection that cannot be made fails after 1 s, and a
 * query on a silently dead socket after 1.2 s, instead of hanging (measured: both hang forever
 * with pg's defaults).
 */
const TIMEOUTS = { connectionTimeoutMillis: 1000, query_timeout: 1200, keepAlive: true };

/** BullMQ's own PostgreSQL backend. */
export async function createPostgresQueueBackend(options: PostgresBackendOptions, log: Logger): Promise<QueueBackend> {
  let ownPool: pg.Pool | undefined;
  const pool = () => {
    if (!ownPool) {
      ownPool = new pg.Pool({ ...options.connection, ...TIMEOUTS, max: options.sharedPoolSize ?? 2 });
      ownPool.on('error', (error) => log.error({ err: error }, 'PostgreSQL pool error'));
      if (options.sharedPoolSize) {
        const serial = createSerializer();
        ownPool.on('connect', (client) => runQueriesThrough(serial, client));
      }
    }
    return ownPool;
  };

  let accounts: AccountStateStore | undefined;

  // With a shared pool BullMQ leaves migrations to us; the embedded store is in this process, so
  // they run before anything is queued.
  if (options.sharedPoolSize) {
    const client = await pool().connect();
    try {
      await runMigrations(client, 'bullmq');
    } finally {
      client.release();
    }
  }

  const connection = (max = 4) =>
    options.sharedPoolSize
      ? pool()
      : // migrate: creates the bullmq schema on first use; advisory-locked, safe with many processes.
        // Each queue and worker has a pool of its own: `max` bounds it (idle connections close).
        { ...options.connection, ...TIMEOUTS, migrate: true, max };

  return {
    kind: options.sharedPoolSize ? 'embedded' : 'postgres',
    description: options.description,
    createQueue(name, defaultJobOptions, tuning) {
      return new Queue(name, { connection: connection(tuning?.connections) as never, defaultJobOptions }, createPostgresBackend) as unknown as JobQueue;
    },
    createWorker(name, processor, { connections, ...tuning }) {
      const worker = new Worker(
        name,
        processor as never,
        {
          ...tuning,
          connection: connection(connections) as never,
          autorun: false,
          ...(options.drainDelaySeconds === undefined ? {} : { drainDelay: options.drainDelaySeconds }),
        },
        createPostgresBackend,
      );
      if (options.drainDelaySeconds !== undefined) pollAtLeastEvery(worker, options.drainDelaySeconds);
      return worker as unknown as ReturnType<QueueBackend['createWorker']>;
    },
    // A committed transaction is on the server's disk; replicas are PostgreSQL's own business.
    async confirmStored() {},
    async ping() {
      try {
        await pool().query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    async canWrite() {
      try {
        // A hot standby answers SELECT 1 but refuses every write.
        const { rows } = await pool().query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
        return rows[0]?.standby === false;
      } catch {
        return false;
      }
    },
    forgetDeleted: options.forgetDeleted?.((sql, timeoutMs) => pool().query({ text: sql, query_timeout: timeoutMs } as pg.QueryConfig)) ?? (async () => {}),
    accountStates() {
      return (accounts ??= createSqlAccountStore({
        pool: pool(),
        // The embedded store runs in this process only: it announces changes in-process.
        ...(options.sharedPoolSize ? {} : { listener: () => new pg.Client({ ...options.connection, connectionTimeoutMillis: 1000, keepAlive: true }) }),
        log,
      }));
    },
    async close() {
      await accounts?.close();
      await ownPool?.end().catch(() => {});
      await options.onClose?.();
    },
  };
}

type Serializer = <T>(task: () => Promise<T>) => Promise<T>;

/** Runs tasks one after another, in call order; a failing task does not stop the next. */
function createSerializer(): Serializer {
  let tail: Promise<unknown> = Promise.resolve();
  return (task) => {
    const result = tail.then(task, task);
    tail = result.catch(() => {});
    return result;
  };
}

/** Makes every query of `client`, promise or callback style, wait its turn in `serial`. */
function runQueriesThrough(serial: Serializer, client: pg.PoolClient): void {
  const query = client.query.bind(client) as (config: unknown, values?: unknown) => Promise<pg.QueryResult>;
  const wrapped = (config: unknown, values?: unknown, callback?: (error: Error | null, result?: pg.QueryResult) => void) => {
    if (typeof values === 'function') {
      callback = values as typeof callback;
      values = undefined;
    }
    const result = serial(() => query(config, values));
    if (!callback) return result;
    result.then(
      (value) => callback!(null, value),
      (error: Error) => callback!(error),
    );
    return undefined;
  };
  client.query = wrapped as typeof client.query;
}

export function postgresBackendFromUrl(url: string, log: Logger): Promise<QueueBackend> {
  return createPostgresQueueBackend({ connection: { connectionString: url }, description: `PostgreSQL at ${redactUrl(url)}` }, log);
}

/**
 * An idle worker that knows of a delayed job (a retry waiting out its backoff) waits until that
 * job is due, up to the backend's `maximumBlockTimeout` (an hour on PostgreSQL), and counts on
 * NOTIFY to be woken by new jobs (bullmq 6.7, Worker#getBlockTimeout). Where NOTIFY does not reach
 * other connections (the embedded store), every new event would wait for the retry, so the wait
 * is capped at the polling interval the worker uses when nothing is delayed. The worker reads the
 * ceiling through its own getter, which an own property of the instance shadows.
 */
function pollAtLeastEvery(worker: object, seconds: number): void {
  if (!('maximumBlockTimeout' in worker)) throw new Error('bullmq Worker has no maximumBlockTimeout: check pollAtLeastEvery against this bullmq version');
  Object.defineProperty(worker, 'maximumBlockTimeout', { value: seconds });
}
