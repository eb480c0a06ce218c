import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { whenReady } from '../../queue/redis-connection.js';
import type { Provider } from '../../events/envelope.js';
import type { AccountChange } from '../model.js';
import { applyWithRetry, createLocalChangeHub, parseStoredAccount, type AccountStateStore, type CasStore } from '../store.js';

/**
 * The account state on Redis: one hash per account, `accounts:state:<provider>:<user id>`, with
 * fields `doc` (the stored account as JSON) and `version`. A write and its feed message go
 * through one Lua script, so a change is published exactly when it is stored, on the pub/sub
 * channel `accounts:changes`.
 */
export const REDIS_CHANGES_CHANNEL = 'accounts:changes';
const keyOf = (provider: Provider, userId: string) => `accounts:state:${provider}:${userId}`;

const WRITE_IF_VERSION = `
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if version ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'version', version + 1, 'doc', ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1`;

export interface RedisAccountStoreOptions {
  /** For writes from the worker: waits out a Redis restart instead of failing the job. */
  writer: () => Redis;
  /** For reads from the API: fails fast, so a request answers 503 instead of hanging. */
  reader: () => Redis;
  /** A new connection for the subscription (a subscribed connection can run nothing else). */
  subscriber: () => Redis;
  log: Logger;
}

export function createRedisAccountStore(options: RedisAccountStoreOptions): AccountStateStore {
  const cas: CasStore = {
    async read(provider, userId) {
      const [version, doc] = await options.writer().hmget(keyOf(provider, userId), 'version', 'doc');
      return { version: Number(version ?? 0), account: parseStoredAccount(doc ?? '{}') };
    },
    async writeIfVersion(provider, userId, version, account, message) {
      const written = await options
        .writer()
        .eval(WRITE_IF_VERSION, 1, keyOf(provider, userId), String(version), JSON.stringify(account), REDIS_CHANGES_CHANNEL, JSON.stringify(message));
      return written === 1;
    },
  };

  const hub = createLocalChangeHub();
  let subscriber: Redis | undefined;
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
    apply: (update) => applyWithRetry(cas, update),
    async get(provider, userId) {
      const doc = await (await whenReady(options.reader())).hget(keyOf(provider, userId), 'doc');
      return doc === null ? null : parseStoredAccount(doc);
    },
    async getMany(keys) {
      if (keys.length === 0) return [];
      const pipeline = (await whenReady(options.reader())).pipeline();
      for (const { provider, userId } of keys) pipeline.hget(keyOf(provider, userId), 'doc');
      const results = (await pipeline.exec()) ?? [];
      return results.map(([error, doc]) => {
        if (error) throw error;
        return doc === null || doc === undefined ? null : parseStoredAccount(doc as string);
      });
    },
    changes: {
      async subscribe(subscriber) {
        await whenLive();
        return hub.add(subscriber);
      },
    },
    async close() {
      subscriber?.disconnect();
    },
  };
}
