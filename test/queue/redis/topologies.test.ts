import { spawnSync } from 'node:child_process';
import calculateSlot from 'cluster-key-slot';
import { afterEach, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startService, type Service } from '../../../src/service.js';
import { captureLogs } from '../../helpers/receiver.js';
import { LOGTO_KEY, postLogto, userDataUpdated } from '../../helpers/logto-signer.js';
import { startOwnRedis, type OwnRedis } from '../../helpers/redis-server.js';
import { startRedisCluster, type OwnCluster } from '../../helpers/redis-topologies.js';
import { testConfig } from '../../helpers/test-config.js';
import { atMost, waitFor } from '../../helpers/wait-for.js';

/**
 * What the service does on a Redis it cannot write to: /readyz says so (a PING would still pass),
 * webhooks answer 503 so the sender retries, and an outage is logged as one line when it starts
 * and one when it ends. Each test starts its own Redis processes on free ports.
 */
const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
const cli = (port: number, ...args: string[]) => spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).stdout.trim();

describe.runIf(hasRedisServer)('a Redis the service cannot write to', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  let service: Service | undefined;
  afterEach(async () => {
    await atMost(service?.close() ?? Promise.resolve(), 5000);
    service = undefined;
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function own(): Promise<OwnRedis> {
    const redis = await startOwnRedis();
    cleanup.push(() => redis.stop());
    return redis;
  }

  async function start(env: Record<string, string | undefined>, role: 'all' | 'receiver' = 'receiver') {
    const logs = captureLogs();
    const config = testConfig({ KAKAO_AUDIENCE: '', LOGTO_SIGNING_KEYS: LOGTO_KEY, QUEUE_TIMEOUT_MS: '1000', ...env });
    service = await startService(config, { role, logger: logs.logger });
    return { config, logs: logs.lines, readyz: () => service!.app.inject({ url: '/readyz' }), post: () => postLogto(service!.app, userDataUpdated()) };
  }

  it('a single node that is a replica: /readyz 503 naming the store, webhooks 503; ready once promoted', async () => {
    const master = await own();
    const replica = await own();
    expect(cli(replica.port, 'replicaof', '127.0.0.1', String(master.port))).toBe('OK');
    const { readyz, post } = await start({ REDIS_URL: replica.url });

    const unready = await readyz();
    expect(unready.statusCode).toBe(503);
    expect(unready.json()).toMatchObject({ status: 'unready', failing: ['store'] });
    expect((await post()).statusCode).toBe(503);

    expect(cli(replica.port, 'replicaof', 'no', 'one')).toBe('OK');
    await waitFor(async () => (await readyz()).statusCode === 200, { what: '/readyz 200 once the node is a master' });
    await waitFor(async () => (await post()).statusCode === 200, { what: 'a webhook accepted once the node is a master' });
  });

  it('REDIS_WAIT_REPLICAS=1 without a replica: /readyz 503 and webhooks 503; both fine once a replica is attached', async () => {
    const master = await own();
    const { readyz, post } = await start({ REDIS_URL: master.url, REDIS_WAIT_REPLICAS: '1', REDIS_WAIT_TIMEOUT_MS: '200' });

    expect((await readyz()).json()).toMatchObject({ status: 'unready', failing: ['store'] });
    const refused = await post();
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBeDefined();

    const replica = await own();
    cli(replica.port, 'replicaof', '127.0.0.1', String(master.port));
    await waitFor(() => /master_link_status:up/.test(cli(replica.port, 'info', 'replication')), { what: 'the replica in sync' });
    await waitFor(async () => (await readyz()).statusCode === 200, { what: '/readyz 200 with a replica' });
    // The replica's first acknowledgement can miss a 200 ms WAIT on a loaded machine; the sender retries.
    await waitFor(async () => (await post()).statusCode === 200, { what: 'a webhook accepted with a replica' });
  });

  it('a cluster whose queue slot is not covered: /readyz 503 and webhooks 503; ready again once it is', async () => {
    const cluster: OwnCluster = await startRedisCluster();
    cleanup.push(() => cluster.stop());
    const { config, readyz, post } = await start({ REDIS_URL: undefined, REDIS_CLUSTER_NODES: cluster.seeds });
    await waitFor(async () => (await readyz()).statusCode === 200, { what: '/readyz 200 on the healthy cluster' });
    expect((await post()).statusCode).toBe(200);

    // The node that owns the queue's slot gives it up: its view has an uncovered slot (cluster_state:fail).
    const slot = calculateSlot(`{bull}:${config.queue.name}`);
    const owner = cluster.nodes.find(({ port }) => ownsSlot(port, slot))!;
    expect(cli(owner.port, 'cluster', 'delslots', String(slot))).toBe('OK');
    await waitFor(async () => (await readyz()).statusCode === 503, { what: '/readyz 503 with the slot uncovered' });
    expect((await post()).statusCode).toBe(503);

    expect(cli(owner.port, 'cluster', 'addslots', String(slot))).toBe('OK');
    await waitFor(async () => (await readyz()).statusCode === 200, { what: '/readyz 200 with the slot covered again' });
    await waitFor(async () => (await post()).statusCode === 200, { what: 'a webhook accepted again' });
  }, 60_000);

  it('an outage is logged once when it starts and once when it ends, with a count, whatever the retries', async () => {
    const redis = await own();
    const { logs } = await start({ REDIS_URL: redis.url }, 'all');
    await new Promise((resolve) => setTimeout(resolve, 500));
    await redis.stop();
    // Several seconds of reconnecting (every 100 ms to 1 s) and of failed worker polls.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    await redis.start();
    const errorLines = () => logs.filter((line) => (line.level as number) >= 50);
    await waitFor(() => logs.some((line) => line.msg === 'Redis connection restored'), { what: 'the restored line', timeoutMs: 15_000 });
    await new Promise((resolve) => setTimeout(resolve, 500));

    const byMessage = new Map<string, number>();
    for (const line of errorLines()) byMessage.set(String(line.msg), (byMessage.get(String(line.msg)) ?? 0) + 1);
    expect([...byMessage.keys()].some((message) => message.startsWith('Redis connection error'))).toBe(true);
    // One line per connection role, never one per reconnect attempt or failed poll.
    for (const [message, count] of byMessage) expect({ message, count: count <= 2 }).toEqual({ message, count: true });
    expect(errorLines().length).toBeLessThanOrEqual(6);
    const restored = logs.filter((line) => line.msg === 'Redis connection restored');
    expect(restored.length).toBeGreaterThan(0);
    expect(restored.every((line) => (line.errors as number) >= 1)).toBe(true);
  }, 30_000);
});

describe.runIf(hasRedisServer)('upgrading from the prefix earlier versions used (bull)', () => {
  let redis: OwnRedis | undefined;
  let service: Service | undefined;
  afterEach(async () => {
    await atMost(service?.close() ?? Promise.resolve(), 5000);
    service = undefined;
    await redis?.stop();
  });

  it('names the queue and both prefixes when jobs wait under bull:, and QUEUE_PREFIX=bull processes them', async () => {
    redis = await startOwnRedis();
    const connection = new Redis(redis.url);
    const config = testConfig({ REDIS_URL: redis.url, KAKAO_AUDIENCE: '', LOGTO_SIGNING_KEYS: LOGTO_KEY });
    const old = new Queue(config.queue.name, { connection }); // BullMQ's default prefix: bull
    await old.add('logto.User.Data.Updated', { id: 'e1' } as never, { jobId: 'e1' });
    await old.close();
    connection.disconnect();

    const logs = captureLogs();
    service = await startService(config, { role: 'receiver', logger: logs.logger });
    const warning = await waitFor(() => logs.lines.find((line) => line.level === 50 && line.queue === config.queue.name), { what: 'the upgrade error' });
    expect(warning).toMatchObject({ prefix: '{bull}', oldPrefix: 'bull', states: ['wait'] });
    expect(String(warning.msg)).toContain('QUEUE_PREFIX=bull');
    await service.close();

    const seen: string[] = [];
    const kept = captureLogs();
    service = await startService(testConfig({ REDIS_URL: redis.url, QUEUE_PREFIX: 'bull', QUEUE_NAME: config.queue.name, KAKAO_AUDIENCE: '', BUILT_IN_HANDLERS: 'none' }), {
      role: 'all',
      logger: kept.logger,
      registerHandlers: (registry) => registry.onAny((event) => void seen.push(event.id)),
    });
    await waitFor(() => seen.includes('e1'), { what: 'the old job processed under QUEUE_PREFIX=bull' });
    expect(kept.lines.filter((line) => line.level === 50)).toEqual([]);
  });
});

/** Whether the node on `port` itself serves `slot`, by its own CLUSTER SLOTS view. */
function ownsSlot(port: number, slot: number): boolean {
  const myId = cli(port, 'cluster', 'myid');
  const nodes = cli(port, 'cluster', 'nodes').split('\n');
  const mine = nodes.find((line) => line.startsWith(myId));
  if (!mine) return false;
  return mine
    .split(' ')
    .slice(8)
    .some((range) => {
      const [from, to = from] = range.split('-').map(Number);
      return slot >= from! && slot <= to!;
    });
}
