import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createRedisAccountStore } from '../../accounts/stores/redis-store.js';
import type { AccountStateStore } from '../../accounts/store.js';
import { redactUrl, type QueueBackend } from '../backend.js';
import { createRedisConnection, whenReady } from '../redis-connection.js';

/**
 * Redis, the recommended production store. Connections open on first use, so a receiver-only
 * process holds only the fail-fast producer connection and a worker-only one only the patient
 * worker connection.
 */
export function createRedisBackend(url: string, log: Logger): QueueBackend {
  let producer: Redis | undefined;
  let consumer: Redis | undefined;
  const producerConnection = () => (producer ??= createRedisConnection(url, 'producer', log));
  const workerConnection = () => (consumer ??= createRedisConnection(url, 'worker', log));
  let accounts: AccountStateStore | undefined;

  return {
    kind: 'redis',
    description: `Redis at ${redactUrl(url)}`,
    createQueue(name, defaultJobOptions) {
      return new Queue(name, { connection: producerConnection(), defaultJobOptions });
    },
    createWorker(name, processor, { connections: _pooledOnPostgresOnly, ...tuning }) {
      return new Worker(name, processor, { ...tuning, connection: workerConnection(), autorun: false });
    },
    async ping() {
      try {
        return (await (await whenReady(producerConnection(), 500)).ping()) === 'PONG';
      } catch {
        return false;
      }
    },
    accountStates() {
      return (accounts ??= createRedisAccountStore({
        writer: workerConnection,
        reader: producerConnection,
        subscriber: () => createRedisConnection(url, 'worker', log),
        log,
      }));
    },
    async close() {
      await accounts?.close();
      // quit() on a connection that is not up leaves ioredis's reconnect timer running, and the
      // process (a CLI run against an unreachable Redis, say) would never exit.
      const end = async (redis: Redis | undefined) => {
        if (redis?.status === 'ready') await redis.quit();
        else redis?.disconnect();
      };
      await Promise.allSettled([end(producer), end(consumer)]);
    },
  };
}
