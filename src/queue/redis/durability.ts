import type { RedisClient } from './connection.js';
import { nodeServing } from './nodes.js';

export interface Durability {
  /** Replicas a write must reach; 0 skips the wait. */
  replicas: number;
  timeoutMs: number;
}

/**
 * Resolves once the writes this connection sent so far (to the node serving `key`) are on
 * `replicas` replicas; rejects when fewer acknowledge them within the timeout. Redis replicates
 * asynchronously: WAIT makes the write survive the master's loss as long as one of the replicas
 * that acknowledged it is the one promoted. It does not make the write durable on disk.
 */
export async function waitForReplicas(client: RedisClient, key: string, durability: Durability): Promise<void> {
  if (durability.replicas === 0) return;
  const acknowledged = await nodeServing(client, key).wait(durability.replicas, durability.timeoutMs);
  if (acknowledged < durability.replicas) {
    throw new Error(`only ${acknowledged} of the ${durability.replicas} replicas REDIS_WAIT_REPLICAS asks for acknowledged the write within ${durability.timeoutMs} ms`);
  }
}
