import { spawnSync } from 'node:child_process';
import { startRedisCluster, type OwnCluster } from './helpers/redis-topologies.js';

/**
 * Starts the run's Redis Cluster (3 masters on free ports of 127.0.0.1) when the matrix asks for
 * the `cluster` store: TEST_BACKENDS names it, or TEST_BACKENDS is unset and redis-server is
 * installed. Its seed nodes reach the test files as TEST_REDIS_CLUSTER_NODES (test/helpers/backends.ts);
 * it is stopped, by process id, when the run ends.
 */
let cluster: OwnCluster | undefined;

export async function setup() {
  const chosen = process.env.TEST_BACKENDS?.split(',').filter(Boolean);
  const wanted = chosen ? chosen.includes('cluster') : spawnSync('redis-server', ['--version']).status === 0;
  if (!wanted || process.env.TEST_REDIS_CLUSTER_NODES) return;
  cluster = await startRedisCluster({ masters: 3 });
  process.env.TEST_REDIS_CLUSTER_NODES = cluster.seeds;
}

export async function teardown() {
  await cluster?.stop();
}
