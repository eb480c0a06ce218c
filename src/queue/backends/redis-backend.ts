import { Queue, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { createRedisAccountStore } from '../../accounts/stores/redis-store.js';
import type { AccountStateStore } from '../../accounts/store.js';
import { redactUrl, type QueueBackend } from '../backend.js';
import { describeTopology, singleNodeConfig, type RedisConfig } from '../redis/config.js';
import { clusterSubscriptions, endConnection, keepConnected, openRedis, whenReady, type RedisClient } from '../redis/connection.js';
import { waitForReplicas } from '../redis/durability.js';
import { warnOfLegacyPrefix } from '../redis/legacy-prefix.js';
import { canWrite } from '../redis/writable.js';

/**
 * Redis, the recommended production store, as a single node, behind Sentinel or as a cluster.
 * Connections open on first use, so a receiver-only process holds only the fail-fast producer
 * connection and a worker-only one only the patient worker connection. `config` may be a URL:
 * a single node with the defaults.
 */
export function createRedisBackend(config: RedisConfig | string, log: Logger): QueueBackend {
  const redis = typeof config === 'string' ? singleNodeConfig(config) : config;
  const { prefix, durability } = redis;
  let producer: RedisClient | undefined;
  let consumer: RedisClient | undefined;
  let closing = false;
  // Shared by every queue and worker of the process for its lifetime: reconnected should ioredis give up on them.
  const producerConnection = () => (producer ??= keepConnected(openRedis(redis, 'producer', log), () => closing));
  const workerConnection = () => (consumer ??= keepConnected(openRedis(redis, 'worker', log), () => closing));
  let accounts: AccountStateStore | undefined;
  const checkLegacy = warnOfLegacyPrefix(redis, log);
  /** Any key of the queue: on a cluster, the {hash tag} puts them all in one slot, served by one node. */
  const queueKey = (name: string) => `${prefix}:${name}`;

  return {
    kind: 'redis',
    description: describeTopology(redis.topology, redactUrl),
    createQueue(name, defaultJobOptions) {
      checkLegacy(name, producerConnection());
      return new Queue(name, { connection: producerConnection(), prefix, defaultJobOptions });
    },
    createWorker(name, processor, { connections: _pooledOnPostgresOnly, ...tuning }) {
      checkLegacy(name, workerConnection());
      return new Worker(name, processor, { ...tuning, connection: workerConnection(), prefix, autorun: false });
    },
    async confirmStored(queueName) {
      await waitForReplicas(producerConnection(), queueKey(queueName), durability);
    },
    async ping() {
      try {
        return (await (await whenReady(producerConnection(), 500)).ping()) === 'PONG';
      } catch {
        return false;
      }
    },
    async canWrite(queueName) {
      try {
        return await canWrite(await whenReady(producerConnection(), 500), queueKey(queueName), durability.replicas);
      } catch {
        return false;
      }
    },
    // The AOF and RDB snapshots are the operator's (README: Where data outlives a purge).
    async forgetDeleted() {},
    accountStates() {
      return (accounts ??= createRedisAccountStore({
        writer: workerConnection,
        reader: producerConnection,
        subscriber: redis.topology.kind === 'cluster' ? clusterSubscriptions(redis, log) : () => openRedis(redis, 'worker', log),
        durability,
        log,
      }));
    },
    async close() {
      closing = true;
      await accounts?.close();
      await Promise.allSettled([endConnection(producer), endConnection(consumer)]);
    },
  };
}
