import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { createErrorEpisode, type ErrorEpisode } from '../../error-episode.js';
import type { RedisConfig } from './config.js';

/** A connection to Redis in any topology: ioredis's Redis (single node, Sentinel) or its Cluster. */
export type RedisClient = Redis | Cluster;

/**
 * The connection policies BullMQ's production guide asks for:
 * - `producer`: fail fast. With the offline queue off, a command while Redis is down rejects at
 *   once, and the webhook route answers 503 instead of hanging past the sender's deadline.
 * - `worker`: wait forever (`maxRetriesPerRequest: null`), so a Redis restart or a failover
 *   pauses processing and never drops a job.
 */
export type ConnectionRole = 'producer' | 'worker';

/** Reconnect quickly: a receiver that is back within a second answers the sender's retry. */
const reconnectSoon = (times: number) => Math.min(100 * times, 1000);

/**
 * A master demoted by a failover answers writes with READONLY while the connection stays up. The
 * connection is dropped, so that Sentinel is asked for the current master again (a single node
 * reconnects to the same address and keeps failing, and /readyz says why). The producer's
 * command fails (the request answers 503 and the sender retries); the worker's is sent again
 * once connected.
 */
const reconnectOnReadonly = (resend: boolean) => (error: Error) => (error.message.startsWith('READONLY') ? (resend ? 2 : 1) : false);

function policy(role: ConnectionRole): RedisOptions {
  return role === 'producer'
    ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 1000, retryStrategy: reconnectSoon, reconnectOnError: reconnectOnReadonly(false) }
    : { maxRetriesPerRequest: null, retryStrategy: reconnectSoon, reconnectOnError: reconnectOnReadonly(true) };
}

function tlsOptions(config: RedisConfig): ConnectionOptions {
  return config.tlsCaFile ? { ca: readFileSync(config.tlsCaFile) } : {};
}

/** Opens a connection of `role` to the configured topology; errors are logged once per outage. */
export function openRedis(config: RedisConfig, role: ConnectionRole, log: Logger): RedisClient {
  const client = connect(config, role);
  reportOutages(client, connectionEpisode(log, role));
  return client;
}

const connectionEpisode = (log: Logger, role: string) => createErrorEpisode(log, { role }, 'Redis connection error', 'Redis connection restored');

/** A connection's errors go to `episode` (logged once per outage); being ready again ends it. */
function reportOutages(client: RedisClient, episode: ErrorEpisode): void {
  client.on('error', (error: Error) => episode.fail(error));
  client.on('ready', () => episode.ok());
}

function connect(config: RedisConfig, role: ConnectionRole): RedisClient {
  const { topology } = config;
  const options = policy(role);
  switch (topology.kind) {
    case 'single':
      return new Redis(topology.url, { ...options, ...(topology.url.startsWith('rediss:') && config.tlsCaFile ? { tls: tlsOptions(config) } : {}) });
    case 'sentinel':
      return new Redis({
        ...options,
        sentinels: topology.sentinels,
        name: topology.masterName,
        role: 'master',
        ...topology.auth,
        ...(topology.sentinelAuth.username ? { sentinelUsername: topology.sentinelAuth.username } : {}),
        ...(topology.sentinelAuth.password ? { sentinelPassword: topology.sentinelAuth.password } : {}),
        ...(topology.tls ? { tls: tlsOptions(config), enableTLSForSentinelMode: true } : {}),
        ...(topology.sentinelTls ? { sentinelTLS: tlsOptions(config) } : {}),
        // Sentinels announce +switch-master; ioredis reconnects at once instead of at the next error.
        failoverDetector: true,
        sentinelRetryStrategy: reconnectSoon,
      });
    case 'cluster': {
      const { enableOfflineQueue, retryStrategy: _perNode, ...nodeOptions } = options;
      const clusterOptions: ClusterOptions = {
        redisOptions: {
          ...nodeOptions,
          ...topology.auth,
          ...(topology.tls ? { tls: tlsOptions(config) } : {}),
        },
        ...(enableOfflineQueue === false ? { enableOfflineQueue: false } : {}),
        clusterRetryStrategy: reconnectSoon,
        // CLUSTERDOWN while a replica takes over a failed master's slots: try again soon.
        retryDelayOnClusterDown: 100,
        retryDelayOnFailover: 100,
        slotsRefreshTimeout: 1000,
        ...(topology.natMap ? { natMap: topology.natMap } : {}),
        // TLS certificates of managed clusters name the host, not the IP it resolves to.
        ...(topology.tls ? { dnsLookup: (address: string, callback: (error: null, address: string) => void) => callback(null, address) } : {}),
      };
      return new Cluster(topology.nodes, clusterOptions);
    }
  }
}

/**
 * Opens connections for SUBSCRIBE on a cluster, each to one node, the seeds in turn. PUBLISH on a
 * cluster reaches subscribers on every node, so one node is enough. ioredis's Cluster client
 * would move a lost subscription to another node silently, and whatever was published in between
 * would be missed unnoticed; a plain connection that does not reconnect reports its loss
 * (`close`, then `end`), so the account state tells its subscribers to resync, and opens the next.
 * Errors are logged once per outage across all of them.
 */
export function clusterSubscriptions(config: RedisConfig, log: Logger): () => Redis {
  const { topology } = config;
  if (topology.kind !== 'cluster') throw new Error('clusterSubscriptions needs a cluster topology');
  const episode = connectionEpisode(log, 'subscriber');
  let next = 0;
  return () => {
    const seed = topology.nodes[next++ % topology.nodes.length]!;
    const client = new Redis({
      ...seed,
      ...topology.auth,
      ...(topology.tls ? { tls: tlsOptions(config) } : {}),
      maxRetriesPerRequest: null,
      retryStrategy: () => null,
    });
    reportOutages(client, episode);
    return client;
  };
}

/**
 * ioredis gives a connection up for good (status `end`, no reconnect) when one of its connection
 * attempts fails instead of retrying it. Behind Sentinel a failover does that: the failover
 * detector's `+switch-master` drops the connection while it is still asking the sentinels for
 * the master, that attempt fails with "Connection is closed.", and the connection ends (ioredis
 * 5.11, Redis#_connect). A process whose shared connections ended would refuse every webhook and
 * process no job until restarted. So a connection that ends while `closing()` is false connects
 * again (ioredis asks the sentinels anew). Not for subscriptions, which their owner reopens.
 */
export function keepConnected<T extends RedisClient>(client: T, closing: () => boolean): T {
  client.on('end', () => {
    setTimeout(() => {
      if (!closing() && client.status === 'end') client.connect().catch(() => {}); // failures go to 'error'; the next 'end' tries again
    }, 100).unref();
  });
  return client;
}

/**
 * The fail-fast connection refuses commands until it is connected; a command that comes right
 * after start-up (or a reconnect) waits up to `ms` for it instead of failing at once. Resolves
 * either way: a connection still not ready fails the command, and the caller answers 503.
 */
export async function whenReady<T extends RedisClient>(redis: T, ms = 1000): Promise<T> {
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

/** Closes a connection whatever its state (quit() on one that is down leaves a reconnect timer running). */
export async function endConnection(redis: RedisClient | undefined): Promise<void> {
  if (!redis) return;
  if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
  else redis.disconnect();
}
