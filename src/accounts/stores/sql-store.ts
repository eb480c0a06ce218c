import type pg from 'pg';
import type { Logger } from 'pino';
import type { AccountChange } from '../model.js';
import { toStorable } from '../../events/storable.js';
import { PermanentError } from '../../errors.js';
import { isDataException } from '../../queue/backend.js';
import { applyWithRetry, createLocalChangeHub, parseStoredAccount, type AccountStateStore, type CasStore } from '../store.js';

/**
 * The account state on PostgreSQL and on the embedded store: one row per account in
 * `public.account_states (provider, user_id, version, state jsonb, updated_at)`.
 *
 * Each write is a single statement that checks the version, stores the state and, on PostgreSQL,
 * calls `pg_notify('account_changes', <message>)`, so a change is announced exactly when it
 * commits. Single statements matter on the embedded store too, where every connection shares one
 * database session and a multi-statement transaction would swallow other connections' queries.
 * The embedded store has no second process to tell, and its NOTIFY reaches only the sending
 * connection, so it announces changes in-process instead.
 */
export const PG_CHANGES_CHANNEL = 'account_changes';

const CREATE = `CREATE TABLE IF NOT EXISTS public.account_states (
  provider text NOT NULL,
  user_id text NOT NULL,
  version bigint NOT NULL,
  state jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, user_id))`;

/**
 * PostgreSQL's jsonb cannot hold U+0000 or a lone surrogate, in a value or a key: each becomes
 * U+FFFD (events/storable.ts; events arrive so already, this covers any other writer).
 */
const toJsonb = (value: unknown) => JSON.stringify(toStorable(value));

export interface SqlAccountStoreOptions {
  pool: pg.Pool;
  /** PostgreSQL: a new client for LISTEN. Absent on the embedded store: changes are announced in-process. */
  listener?: () => pg.Client;
  log: Logger;
}

export function createSqlAccountStore(options: SqlAccountStoreOptions): AccountStateStore {
  const { pool, log } = options;
  const hub = createLocalChangeHub();
  const notify = options.listener !== undefined;

  let ready: Promise<unknown> | undefined;
  const ensureTable = () =>
    (ready ??= pool.query(CREATE).catch(async (error: unknown) => {
      // Two processes creating the table at once: one of them gets a unique violation.
      if ((error as { code?: string }).code === '23505') return pool.query(CREATE);
      throw error;
    }).catch((error: unknown) => {
      ready = undefined; // try again on the next call
      throw error;
    }));

  /** Ends a write statement: announces the change (parameter `$n`) if a row was written. */
  const announce = (n: number) => (notify ? `SELECT pg_notify('${PG_CHANGES_CHANNEL}', $${n}) FROM written` : 'SELECT 1 FROM written');
  const cas: CasStore = {
    async read(provider, userId) {
      await ensureTable();
      const { rows } = await pool.query<{ version: string; state: object }>(
        'SELECT version, state FROM public.account_states WHERE provider = $1 AND user_id = $2',
        [provider, userId],
      );
      const row = rows[0];
      return row ? { version: Number(row.version), account: parseStoredAccount(row.state) } : { version: 0, account: parseStoredAccount({}) };
    },
    async writeIfVersion(provider, userId, version, account, message) {
      const text = JSON.stringify(message);
      const { rowCount } =
        version === 0
          ? await pool.query(
              `WITH written AS (
                 INSERT INTO public.account_states (provider, user_id, version, state) VALUES ($1, $2, 1, $3)
                 ON CONFLICT (provider, user_id) DO NOTHING RETURNING 1)
               ${announce(4)}`,
              [provider, userId, toJsonb(account), ...(notify ? [text] : [])],
            )
          : await pool.query(
              `WITH written AS (
                 UPDATE public.account_states SET version = version + 1, state = $3, updated_at = now()
                 WHERE provider = $1 AND user_id = $2 AND version = $4 RETURNING 1)
               ${announce(5)}`,
              [provider, userId, toJsonb(account), version, ...(notify ? [text] : [])],
            );
      const written = rowCount === 1;
      if (written && !notify) hub.publish(message);
      return written;
    },
  };

  let listener: pg.Client | undefined;
  let listening: Promise<void> | undefined;
  let closed = false;
  const listen = () =>
    (listening ??= (async () => {
      const client = (listener = options.listener!());
      client.on('notification', (notification) => {
        if (notification.channel !== PG_CHANGES_CHANNEL || !notification.payload) return;
        try {
          hub.publish(JSON.parse(notification.payload) as AccountChange);
        } catch (error) {
          log.warn({ err: error }, 'unreadable account change notification ignored');
        }
      });
      // A lost LISTEN connection misses notifications: subscribers start over, and the next
      // subscription opens a new one.
      const lost = (error?: Error) => {
        if (listener !== client) return;
        listener = undefined;
        listening = undefined;
        if (!closed) log.warn({ err: error }, 'account change listener lost; subscribers start over');
        void client.end().catch(() => {});
        hub.interrupt();
      };
      client.on('error', lost);
      client.on('end', () => lost());
      await client.connect();
      await client.query(`LISTEN ${PG_CHANGES_CHANNEL}`);
    })().catch((error: unknown) => {
      listening = undefined;
      listener = undefined;
      throw error;
    }));

  return {
    async apply(update) {
      try {
        return await applyWithRetry(cas, update);
      } catch (error) {
        // The store refuses a value of this event: every retry would be refused alike.
        if (isDataException(error)) throw new PermanentError('the account store cannot hold a value of this event', { cause: error });
        throw error;
      }
    },
    async get(provider, userId) {
      await ensureTable();
      const { rows } = await pool.query<{ state: object }>('SELECT state FROM public.account_states WHERE provider = $1 AND user_id = $2', [provider, userId]);
      return rows[0] ? parseStoredAccount(rows[0].state) : null;
    },
    async getMany(keys) {
      if (keys.length === 0) return [];
      await ensureTable();
      const { rows } = await pool.query<{ i: number; state: object | null }>(
        `SELECT k.i::int AS i, s.state FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(provider, user_id, i)
         LEFT JOIN public.account_states s ON s.provider = k.provider AND s.user_id = k.user_id ORDER BY k.i`,
        [keys.map((key) => key.provider), keys.map((key) => key.userId)],
      );
      return rows.map((row) => (row.state ? parseStoredAccount(row.state) : null));
    },
    changes: {
      async subscribe(subscriber) {
        if (notify) await listen();
        return hub.add(subscriber);
      },
    },
    async close() {
      closed = true;
      const client = listener;
      listener = undefined;
      await client?.end().catch(() => {});
    },
  };
}
