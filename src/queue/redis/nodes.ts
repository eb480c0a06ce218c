import calculateSlot from 'cluster-key-slot';
import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from './connection.js';

/**
 * The connection that serves `key`: the client itself on a single node or Sentinel, and on a
 * cluster the cluster client's own connection to the master of the key's slot. Commands that
 * name no key (WAIT, ROLE, CLUSTER INFO) must go there: WAIT counts the replicas that have the
 * writes sent on the connection it runs on, so it must be the one the writes went through.
 */
export function nodeServing(client: RedisClient, key: string): Redis {
  if (!(client instanceof Cluster)) return client;
  const slot = calculateSlot(key);
  const owner = client.slots[slot]?.[0];
  const node = owner ? client.nodes('master').find((candidate) => `${candidate.options.host}:${candidate.options.port}` === owner) : undefined;
  if (!node) throw new Error(`no master is known for slot ${slot} (the cluster is not connected, or the slot is not covered)`);
  return node;
}
