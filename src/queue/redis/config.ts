import { z } from 'zod';
import { list, nonNegativeInt, positiveInt } from '../../config/env-helpers.js';

/**
 * The Redis part of the environment schema (composed in src/config/config.ts): one of three
 * topologies, each driven by ioredis's own client for it.
 * - single node: REDIS_URL (redis:// or rediss://), as before;
 * - Sentinel: REDIS_SENTINELS + REDIS_SENTINEL_MASTER; ioredis asks the sentinels for the master
 *   and asks again after every reconnect, so a failover is followed without a restart;
 * - Cluster: REDIS_CLUSTER_NODES (seed nodes); ioredis learns the slot map and follows MOVED/ASK.
 */

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'each address must be host:port')
  .transform((value) => {
    const at = value.lastIndexOf(':');
    const host = value.slice(0, at).replace(/^\[(.*)\]$/, '$1');
    return { host, port: Number(value.slice(at + 1)) };
  })
  .refine((address) => address.port > 0 && address.port <= 65535, 'each port must be 1-65535');

const addressList = z
  .string()
  .transform(list)
  .pipe(z.array(hostPort).min(1, 'holds no address (comma-separated host:port expected)'));

const flag = z.enum(['true', 'false'], { error: 'must be true or false' }).transform((value) => value === 'true');

/** `internal:port=external:port,...`: the addresses a managed cluster announces, as this process must reach them. */
const natMap = z
  .string()
  .transform(list)
  .pipe(
    z.array(
      z
        .string()
        .regex(/^[^=\s]+:\d+=[^=\s]+:\d+$/, 'each entry must be internal-host:port=external-host:port')
        .transform((entry) => entry.split('=') as [string, string]),
    ),
  )
  .transform((entries) =>
    Object.fromEntries(
      entries.map(([from, to]) => {
        const at = to.lastIndexOf(':');
        return [from, { host: to.slice(0, at), port: Number(to.slice(at + 1)) }];
      }),
    ),
  );

export const redisEnv = {
  /** Single node: where events are stored, if set (redis:// or rediss:// for TLS). */
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
  /** Sentinel: the sentinels' addresses, comma-separated host:port. */
  REDIS_SENTINELS: addressList.optional(),
  /** Sentinel: the name the sentinels monitor the master under (`sentinel monitor <name> ...`). */
  REDIS_SENTINEL_MASTER: z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ., - and _ only').optional(),
  /** Sentinel: ACL user and password of the sentinels themselves (requirepass on the sentinels). */
  REDIS_SENTINEL_USERNAME: z.string().min(1).optional(),
  REDIS_SENTINEL_PASSWORD: z.string().min(1).optional(),
  /** Sentinel: talk TLS to the sentinels too (REDIS_TLS covers the data nodes). */
  REDIS_SENTINEL_TLS: flag.optional(),
  /** Cluster: seed nodes, comma-separated host:port; the rest of the cluster is discovered. */
  REDIS_CLUSTER_NODES: addressList.optional(),
  /** Cluster: how the addresses nodes announce map to addresses this process reaches. */
  REDIS_CLUSTER_NAT_MAP: natMap.optional(),
  /** Sentinel and Cluster: the data nodes' ACL user and password (with REDIS_URL, put them in the URL). */
  REDIS_USERNAME: z.string().min(1).optional(),
  REDIS_PASSWORD: z.string().min(1).optional(),
  /** Sentinel and Cluster: TLS to the data nodes (with REDIS_URL, use rediss://). */
  REDIS_TLS: flag.optional(),
  /** A PEM file of the CA that signed the servers' certificates, for every TLS connection to Redis. */
  REDIS_TLS_CA_FILE: z.string().min(1).optional(),
  /**
   * BullMQ's key prefix on Redis. The {hash tag} puts all keys of a queue in one cluster slot,
   * which BullMQ's scripts need on a cluster; the default works on every topology.
   */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_{}.-]+$/, 'letters, digits, {, }, ., - and _ only')
    .regex(/^[^{}]*(\{[^{}]+\}[^{}]*)?$/, 'at most one {hash tag}, not empty')
    .default('{bull}'),
  /**
   * A webhook is acknowledged only once its event is on this many replicas (Redis WAIT after the
   * write); 0 acknowledges once the master has it. The account state's writes wait the same way
   * before their change is announced.
   */
  REDIS_WAIT_REPLICAS: nonNegativeInt.default(0),
  /** Longest WAIT blocks; fewer replicas by then answers 503 and the sender retries. */
  REDIS_WAIT_TIMEOUT_MS: positiveInt.default(500),
};

type RedisEnv = z.output<ReturnType<typeof z.object<typeof redisEnv>>>;

const SENTINEL_ONLY = ['REDIS_SENTINEL_MASTER', 'REDIS_SENTINEL_USERNAME', 'REDIS_SENTINEL_PASSWORD', 'REDIS_SENTINEL_TLS'] as const;
const TOPOLOGY_VARIABLES = ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const;

/**
 * Combinations that cannot mean anything are refused at start-up, each once with its variable,
 * listed with every other problem. Passed to `.superRefine(...)` of the whole schema.
 */
export const redisEnvCheck = [
  (env: Partial<RedisEnv> & { DATABASE_URL?: unknown }, ctx: z.RefinementCtx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    const topologies = TOPOLOGY_VARIABLES.filter((name) => env[name] !== undefined);
    if (topologies.length > 1) issue(topologies[1]!, `set one of ${TOPOLOGY_VARIABLES.join(', ')}, not ${topologies.join(' and ')}: they are three ways to reach Redis`);
    if (topologies.length > 0 && env.DATABASE_URL !== undefined) issue('DATABASE_URL', `set ${topologies[0]} or DATABASE_URL, not both: events go to exactly one store`);
    const sentinel = env.REDIS_SENTINELS !== undefined;
    const cluster = env.REDIS_CLUSTER_NODES !== undefined;
    if (sentinel && env.REDIS_SENTINEL_MASTER === undefined) issue('REDIS_SENTINEL_MASTER', 'is required with REDIS_SENTINELS: the name the sentinels monitor the master under');
    if (!sentinel) for (const name of SENTINEL_ONLY) if (env[name] !== undefined) issue(name, 'is set but REDIS_SENTINELS is not: it applies to Sentinel only');
    if (!cluster && env.REDIS_CLUSTER_NAT_MAP !== undefined) issue('REDIS_CLUSTER_NAT_MAP', 'is set but REDIS_CLUSTER_NODES is not: it applies to a cluster only');
    if (env.REDIS_URL !== undefined) {
      for (const name of ['REDIS_USERNAME', 'REDIS_PASSWORD'] as const) {
        if (env[name] !== undefined) issue(name, 'is for Sentinel and Cluster; with REDIS_URL put the user and password in the URL (redis://user:password@host:port)');
      }
      if (env.REDIS_TLS !== undefined) issue('REDIS_TLS', 'is for Sentinel and Cluster; with REDIS_URL use a rediss:// URL for TLS');
    }
    if (topologies.length === 0) {
      for (const name of ['REDIS_USERNAME', 'REDIS_PASSWORD', 'REDIS_TLS', 'REDIS_TLS_CA_FILE'] as const) {
        if (env[name] !== undefined) issue(name, 'is set but no Redis is: set REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES');
      }
    }
    if (cluster && env.QUEUE_PREFIX !== undefined && !/\{[^{}]+\}/.test(env.QUEUE_PREFIX)) {
      issue('QUEUE_PREFIX', 'needs a {hash tag} on a cluster (e.g. {bull}): BullMQ\'s scripts touch all of a queue\'s keys at once, and they must share a slot');
    }
    if (env.REDIS_WAIT_REPLICAS && topologies.length === 0) issue('REDIS_WAIT_REPLICAS', 'is set but no Redis is: it applies to Redis only');
  },
  { when: (payload: { value: unknown }) => typeof payload.value === 'object' && payload.value !== null },
] as const;

export interface RedisAuth {
  username?: string;
  password?: string;
}

export type RedisTopology =
  | { kind: 'single'; url: string }
  | {
      kind: 'sentinel';
      sentinels: { host: string; port: number }[];
      masterName: string;
      sentinelAuth: RedisAuth;
      sentinelTls: boolean;
      auth: RedisAuth;
      tls: boolean;
    }
  | {
      kind: 'cluster';
      nodes: { host: string; port: number }[];
      natMap?: Record<string, { host: string; port: number }>;
      auth: RedisAuth;
      tls: boolean;
    };

export interface RedisConfig {
  topology: RedisTopology;
  /** PEM file of the CA for TLS connections; read when the connection opens. */
  tlsCaFile?: string;
  /** BullMQ's key prefix: every queue of the process is under it. */
  prefix: string;
  /** Replicas a write must reach before it counts (0: the master alone), and how long to wait. */
  durability: { replicas: number; timeoutMs: number };
}

const authOf = (username: string | undefined, password: string | undefined): RedisAuth => ({
  ...(username !== undefined ? { username } : {}),
  ...(password !== undefined ? { password } : {}),
});

/** The Redis store, or undefined when no Redis variable is set (PostgreSQL or the embedded store). */
export function redisConfigOf(env: RedisEnv): RedisConfig | undefined {
  const topology = topologyOf(env);
  if (!topology) return undefined;
  return {
    topology,
    ...(env.REDIS_TLS_CA_FILE !== undefined ? { tlsCaFile: env.REDIS_TLS_CA_FILE } : {}),
    prefix: env.QUEUE_PREFIX,
    durability: { replicas: env.REDIS_WAIT_REPLICAS, timeoutMs: env.REDIS_WAIT_TIMEOUT_MS },
  };
}

function topologyOf(env: RedisEnv): RedisTopology | undefined {
  if (env.REDIS_URL) return { kind: 'single', url: env.REDIS_URL };
  if (env.REDIS_SENTINELS) {
    return {
      kind: 'sentinel',
      sentinels: env.REDIS_SENTINELS,
      masterName: env.REDIS_SENTINEL_MASTER!,
      sentinelAuth: authOf(env.REDIS_SENTINEL_USERNAME, env.REDIS_SENTINEL_PASSWORD),
      sentinelTls: env.REDIS_SENTINEL_TLS ?? false,
      auth: authOf(env.REDIS_USERNAME, env.REDIS_PASSWORD),
      tls: env.REDIS_TLS ?? false,
    };
  }
  if (env.REDIS_CLUSTER_NODES) {
    return {
      kind: 'cluster',
      nodes: env.REDIS_CLUSTER_NODES,
      ...(env.REDIS_CLUSTER_NAT_MAP ? { natMap: env.REDIS_CLUSTER_NAT_MAP } : {}),
      auth: authOf(env.REDIS_USERNAME, env.REDIS_PASSWORD),
      tls: env.REDIS_TLS ?? false,
    };
  }
  return undefined;
}

/** A single node at `url` with the defaults: what REDIS_URL alone configures. */
export function singleNodeConfig(url: string, overrides: Partial<Omit<RedisConfig, 'topology'>> = {}): RedisConfig {
  return { topology: { kind: 'single', url }, prefix: '{bull}', durability: { replicas: 0, timeoutMs: 500 }, ...overrides };
}

/** For the start-up log: where Redis is, never a password. */
export function describeTopology(topology: RedisTopology, redactUrl: (url: string) => string): string {
  switch (topology.kind) {
    case 'single':
      return `Redis at ${redactUrl(topology.url)}`;
    case 'sentinel':
      return `Redis master "${topology.masterName}" via Sentinel at ${topology.sentinels.map(({ host, port }) => `${host}:${port}`).join(', ')}`;
    case 'cluster':
      return `Redis Cluster seeded by ${topology.nodes.map(({ host, port }) => `${host}:${port}`).join(', ')}`;
  }
}
