import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/config.js';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};
const redisOf = (env: Record<string, string>) => {
  const { store } = loadConfig(env);
  if (store.kind !== 'redis') throw new Error(`expected Redis, got ${store.kind}`);
  return store.redis;
};

describe('Redis topologies in the configuration', () => {
  it('reads Sentinel: addresses, master name, both passwords, TLS to each side', () => {
    const redis = redisOf({
      REDIS_SENTINELS: 'sentinel-a:26379, sentinel-b:26380,[::1]:26381',
      REDIS_SENTINEL_MASTER: 'receiver',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
      REDIS_PASSWORD: 'data-secret',
      REDIS_USERNAME: 'receiver',
      REDIS_TLS: 'true',
      REDIS_SENTINEL_TLS: 'false',
    });
    expect(redis.topology).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 'sentinel-a', port: 26379 },
        { host: 'sentinel-b', port: 26380 },
        { host: '::1', port: 26381 },
      ],
      masterName: 'receiver',
      sentinelAuth: { password: 'sentinel-secret' },
      sentinelTls: false,
      auth: { username: 'receiver', password: 'data-secret' },
      tls: true,
    });
  });

  it('reads a cluster: seed nodes, the NAT map, TLS, and the prefix with its hash tag', () => {
    const redis = redisOf({
      REDIS_CLUSTER_NODES: '10.0.0.1:6379,10.0.0.2:6379',
      REDIS_CLUSTER_NAT_MAP: '10.0.0.1:6379=redis-a.example.com:30001,10.0.0.2:6379=redis-b.example.com:30002',
      REDIS_TLS: 'true',
      QUEUE_PREFIX: '{events}',
    });
    expect(redis.topology).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 6379 },
        { host: '10.0.0.2', port: 6379 },
      ],
      natMap: {
        '10.0.0.1:6379': { host: 'redis-a.example.com', port: 30001 },
        '10.0.0.2:6379': { host: 'redis-b.example.com', port: 30002 },
      },
      auth: {},
      tls: true,
    });
    expect(redis.prefix).toBe('{events}');
  });

  it('defaults to the {bull} prefix and no replica wait; reads REDIS_WAIT_*', () => {
    expect(redisOf({ REDIS_URL: 'redis://r:6379' })).toMatchObject({ prefix: '{bull}', durability: { replicas: 0, timeoutMs: 500 } });
    expect(redisOf({ REDIS_URL: 'redis://r:6379', REDIS_WAIT_REPLICAS: '1', REDIS_WAIT_TIMEOUT_MS: '300' }).durability).toEqual({ replicas: 1, timeoutMs: 300 });
  });

  it.each([
    [{ REDIS_URL: 'redis://r', REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_MASTER: 'm' }, 'REDIS_SENTINELS', /not REDIS_URL and REDIS_SENTINELS/],
    [{ REDIS_SENTINELS: 's:26379', REDIS_CLUSTER_NODES: 'c:6379' }, 'REDIS_CLUSTER_NODES', /one of/],
    [{ REDIS_SENTINELS: 's:26379' }, 'REDIS_SENTINEL_MASTER', /required with REDIS_SENTINELS/],
    [{ REDIS_URL: 'redis://r', REDIS_SENTINEL_MASTER: 'm' }, 'REDIS_SENTINEL_MASTER', /Sentinel only/],
    [{ REDIS_URL: 'redis://r', REDIS_CLUSTER_NAT_MAP: 'a:1=b:2' }, 'REDIS_CLUSTER_NAT_MAP', /cluster only/],
    [{ REDIS_URL: 'redis://r', REDIS_PASSWORD: 'p' }, 'REDIS_PASSWORD', /in the URL/],
    [{ REDIS_URL: 'redis://r', REDIS_TLS: 'true' }, 'REDIS_TLS', /rediss:\/\//],
    [{ REDIS_PASSWORD: 'p' }, 'REDIS_PASSWORD', /no Redis is/],
    [{ REDIS_CLUSTER_NODES: 'c:6379', QUEUE_PREFIX: 'bull' }, 'QUEUE_PREFIX', /hash tag/],
    [{ REDIS_CLUSTER_NODES: 'c:6379', DATABASE_URL: 'postgres://db/x' }, 'DATABASE_URL', /not both/],
    [{ REDIS_SENTINELS: 'sentinel-without-port', REDIS_SENTINEL_MASTER: 'm' }, 'REDIS_SENTINELS', /host:port/],
    [{ REDIS_CLUSTER_NODES: 'c:6379', REDIS_CLUSTER_NAT_MAP: 'a:1' }, 'REDIS_CLUSTER_NAT_MAP', /internal-host:port=external-host:port/],
    [{ REDIS_URL: 'redis://r', REDIS_WAIT_REPLICAS: '1', REDIS_WAIT_TIMEOUT_MS: '1000' }, 'REDIS_WAIT_TIMEOUT_MS', /less than QUEUE_TIMEOUT_MS/],
    [{ REDIS_WAIT_REPLICAS: '1' }, 'REDIS_WAIT_REPLICAS', /no Redis is/],
    [{ REDIS_URL: 'redis://r', QUEUE_PREFIX: '{a}{b}' }, 'QUEUE_PREFIX', /one \{hash tag\}/],
    [{ REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_MASTER: 'm', REDIS_SENTINEL_TLS: 'yes' }, 'REDIS_SENTINEL_TLS', /true or false/],
  ] as [Record<string, string>, string, RegExp][])('refuses %o with one problem on %s', (env, variable, message) => {
    const problems = problemsOf(env).filter((problem) => problem.startsWith(`${variable}:`));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('reports every Redis problem at once, with the rest of the configuration', () => {
    const problems = problemsOf({ REDIS_SENTINELS: 's:26379', REDIS_CLUSTER_NAT_MAP: 'a:1=b:2', PORT: 'eighty' });
    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual(['PORT', 'REDIS_CLUSTER_NAT_MAP', 'REDIS_SENTINEL_MASTER']);
  });

  it('never echoes a password in a problem', () => {
    const problems = problemsOf({ REDIS_URL: 'redis://r', REDIS_PASSWORD: 'hunter2-secret' });
    expect(problems.join('\n')).not.toContain('hunter2-secret');
  });
});
