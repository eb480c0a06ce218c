import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

/**
 * The two Redis connection policies BullMQ's production guide asks for:
 * - `producer`: fail fast. With the offline queue off, a command while Redis is down rejects at
 *   once, and the webhook route answers 503 instead of hanging past the sender's deadline.
 * - `worker`: wait forever (`maxRetriesPerRequest: null`), so a Redis restart pauses processing
 *   and never drops a job.
 */
export function createRedisConnection(url: string, role: 'producer' | 'worker', log: Logger): Redis {
  const options: RedisOptions =
    role === 'producer'
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 1000, retryStrategy: reconnectSoon }
      : { maxRetriesPerRequest: null, retryStrategy: reconnectSoon };
  const redis = new Redis(url, { ...options, lazyConnect: false });
  let down = false;
  redis.on('error', (error: Error) => {
    // ioredis repeats the same error on every reconnect attempt; log the transition only.
    if (!down) log.error({ err: error, role }, 'Redis connection error');
    down = true;
  });
  redis.on('ready', () => {
    if (down) log.info({ role }, 'Redis connection restored');
    down = false;
  });
  return redis;
}

/** Reconnect quickly: a receiver that is back within a second answers the sender's retry. */
const reconnectSoon = (times: number) => Math.min(100 * times, 1000);

/**
 * The fail-fast connection refuses commands until it is connected; a command that comes right
 * after start-up (or a reconnect) waits up to `ms` for it instead of failing at once. Resolves
 * either way: a connection still not ready fails the command, and the caller answers 503.
 */
export async function whenReady(redis: Redis, ms = 1000): Promise<Redis> {
  if (redis.status === 'ready') return redis;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    }
    redis.once('ready', done);
  });
  return redis;
}
