import type { Logger } from 'pino';
import { whenReady, type RedisClient } from '../../queue/redis/connection.js';
import { waitForReplicas, type Durability } from '../../queue/redis/durability.js';
import type { Provider } from '../../events/envelope.js';
import type { AccountChange } from '../model.js';
import { applyWithRetry, createLocalChangeHub, parseStoredAccount, type AccountStateStore, type CasStore } from '../store.js';

/**
 * The account state on Redis: one hash per account, `accounts:state:<provider>:<user id>`, with
 * fields `doc` (the stored account as JSON) and `version`. Each script touches only the one key
 * it declares, so it runs on a cluster too (PUBLISH reaches subscribers on every node).
 *
 * Without REDIS_WAIT_REPLICAS, a write and its feed message go through one script, so a change is
 * published exactly when it is stored, on the pub/sub channel `accounts:changes`. With it, a
 * change must not be announced before it is on the replicas (a failover would leave subscribers
 * believing a state the store no longer has): the write stores the message beside the document
 * as `pending:<version>`, WAIT confirms the write, and only then is the message published and
 * removed. A message still pending (WAIT failed, or the process died in between) is announced by
 * the job's retry, which finds the state already applied.
 */
export const REDIS_CHANGES_CHANNEL = 'accounts:changes';
const keyOf = (provider: Provider, userId: string) => `accounts:state:${provider}:${userId}`;

const WRITE_IF_VERSION = `
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if version ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'version', version + 1, 'doc', ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1`;

/** As WRITE_IF_VERSION, but the message waits in `pending:<version>` until the write is confirmed. */
const WRITE_PENDING_IF_VERSION = `
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if version ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'version', version + 1, 'doc', ARGV[2], 'pending:' .. (version + 1), ARGV[3])
return 1`;

/**
 * For a retry that changed nothing: the newest pending version, 0 when none is pending. When one
 * is, it writes it to the field 'announcing', so that the WAIT that follows (which counts this
 * connection's writes) covers the pending writes before it, whoever made them.
 */
const MARK_PENDING = `
local newest = 0
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(field, 1, 8) == 'pending:' then newest = math.max(newest, tonumber(string.sub(field, 9))) end
end
if newest > 0 then redis.call('HSET', KEYS[1], 'announcing', newest) end
return newest`;

/** Publishes, oldest first, and removes the pending messages up to version ARGV[2]. */
const ANNOUNCE_PENDING = `
local versions = {}
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(field, 1, 8) == 'pending:' then
    local version = tonumber(string.sub(field, 9))
    if version <= tonumber(ARGV[2]) then table.insert(versions, version) end
  end
end
table.sort(versions)
for _, version in ipairs(versions) do
  redis.call('PUBLISH', ARGV[1], redis.call('HGET', KEYS[1], 'pending:' .. version))
  redis.call('HDEL', KEYS[1], 'pending:' .. version)
end
return #versions`;

export interface RedisAccountStoreOptions {
  /** For writes from the worker: waits out a Redis restart instead of failing the job. */
  writer: () => RedisClient;
  /** For reads from the API: fails fast, so a request answers 503 instead of hanging. */
  reader: () => RedisClient;
  /** A new connection for the subscription (a subscribed connection can run nothing else). */
  subscriber: () => RedisClient;
  /** Replicas a change must reach before it is announced (REDIS_WAIT_REPLICAS); default none. */
  durability?: Durability;
  log: Logger;
}

export function createRedisAccountStore(options: RedisAccountStoreOptions): AccountStateStore {
  const durability = options.durability ?? { replicas: 0, timeoutMs: 0 };
  const confirmed = durability.replicas > 0;

  /** Waits until the writer's writes to `key` are on the replicas, then announces what is pending up to `version`. */
  async function announce(key: string, version: number) {
    const writer = options.writer();
    await waitForReplicas(writer, key, durability);
    await writer.eval(ANNOUNCE_PENDING, 1, key, REDIS_CHANGES_CHANNEL, String(version));
  }

  const cas: CasStore = {
    async read(provider, userId) {
      const [version, doc] = await options.writer().hmget(keyOf(provider, userId), 'version', 'doc');
      return { version: Number(version ?? 0), account: parseStoredAccount(doc ?? '{}') };
    },
    async writeIfVersion(provider, userId, version, account, message) {
      const key = keyOf(provider, userId);
      if (!confirmed) {
        const written = await options.writer().eval(WRITE_IF_VERSION, 1, key, String(version), JSON.stringify(account), REDIS_CHANGES_CHANNEL, JSON.stringify(message));
        return written === 1;
      }
      const written = await options.writer().eval(WRITE_PENDING_IF_VERSION, 1, key, String(version), JSON.stringify(account), JSON.stringify(message));
      if (written !== 1) return false;
      // A WAIT that falls short throws: the job retries, and its retry announces the change.
      await announce(key, version + 1);
      return true;
    },
  };

  /** A retry that changed nothing: what an earlier attempt stored but could not confirm is announced now. */
  async function announceLeftovers(provider: Provider, userId: string) {
    const key = keyOf(provider, userId);
    const newest = Number(await options.writer().eval(MARK_PENDING, 1, key));
    if (newest > 0) await announce(key, newest);
  }

  const hub = createLocalChangeHub();
  let subscriber: RedisClient | undefined;
  let closed = false;
  /** True between a confirmed SUBSCRIBE and the connection's next close: only then is nothing missed. */
  let live = false;
  let liveWaiters: (() => void)[] = [];
  const setLive = (value: boolean) => {
    live = value;
    if (live) for (const wake of liveWaiters.splice(0)) wake();
  };

  const open = () => {
    const connection = (subscriber = options.subscriber());
    connection.on('message', (_channel: string, text: string) => {
      try {
        hub.publish(JSON.parse(text) as AccountChange);
      } catch (error) {
        options.log.warn({ err: error }, 'unreadable account change message ignored');
      }
    });
    // What is published while the connection is down is lost: subscribers start over, and
    // nobody is told "live" again until the SUBSCRIBE after the reconnect is confirmed.
    connection.on('close', () => {
      if (live) hub.interrupt();
      setLive(false);
    });
    connection.on('ready', () => {
      connection.subscribe(REDIS_CHANGES_CHANNEL).then(
        () => setLive(true),
        (error: unknown) => options.log.warn({ err: error }, 'account change subscription failed; retried on reconnect'),
      );
    });
    // A connection that gives up instead of reconnecting (on a cluster, a node's subscription
    // does, so that the next one is opened on another node) is replaced.
    connection.once('end', () => {
      setTimeout(() => {
        if (!closed && subscriber === connection) open();
      }, 200).unref();
    });
  };

  /** Resolves once the subscription is live; rejects after `ms`, so the caller can answer 503. */
  const whenLive = async (ms = 1000) => {
    if (!subscriber) open();
    if (live) return;
    await new Promise<void>((resolve, reject) => {
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        liveWaiters = liveWaiters.filter((waiter) => waiter !== wake);
        reject(new Error('the account change subscription is not live'));
      }, ms);
      liveWaiters.push(wake);
    });
  };

  return {
    async apply(update) {
      const change = await applyWithRetry(cas, update);
      if (!change && confirmed) await announceLeftovers(update.provider, update.userId);
      return change;
    },
    async get(provider, userId) {
      const doc = await (await whenReady(options.reader())).hget(keyOf(provider, userId), 'doc');
      return doc === null ? null : parseStoredAccount(doc);
    },
    async getMany(keys) {
      if (keys.length === 0) return [];
      // One command per key, sent together: on a single node they are pipelined on one socket,
      // on a cluster each goes to the node of its slot (a pipeline or MGET across slots fails).
      const reader = await whenReady(options.reader());
      const docs = await Promise.all(keys.map(({ provider, userId }) => reader.hget(keyOf(provider, userId), 'doc')));
      return docs.map((doc) => (doc === null ? null : parseStoredAccount(doc)));
    },
    changes: {
      async subscribe(subscriber) {
        await whenLive();
        return hub.add(subscriber);
      },
    },
    async close() {
      closed = true;
      subscriber?.disconnect();
    },
  };
}
