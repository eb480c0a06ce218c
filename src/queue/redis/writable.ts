import { Cluster } from 'ioredis';
import type { RedisClient } from './connection.js';
import { nodeServing } from './nodes.js';

/**
 * Whether this process can store an event now, for /readyz: the node serving the queue is a
 * master (a demoted master answers every write with READONLY), it has the replicas that
 * REDIS_WAIT_REPLICAS asks for, and on a cluster the cluster is up with every slot covered
 * (cluster_state:ok). A PING would pass in all of these cases.
 */
export async function canWrite(client: RedisClient, queueKey: string, replicas: number): Promise<boolean> {
  const node = nodeServing(client, queueKey);
  if (client instanceof Cluster) {
    const info = String(await node.cluster('INFO'));
    if (!/^cluster_state:ok\s*$/m.test(info)) return false;
  }
  const role = (await node.role()) as [string, number, unknown[]?];
  if (role[0] !== 'master') return false;
  return replicas === 0 || (role[2]?.length ?? 0) >= replicas;
}
