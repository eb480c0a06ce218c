/**
 * The cost of each Redis guarantee, in one run: the Kakao SET path against the receiver on Redis
 * topologies the bench starts for itself on free ports of 127.0.0.1, from the same redis-server
 * binary with the same settings (no RDB, no AOF):
 *   single           one node of its own (REDIS_URL);
 *   sentinel-wait-1  1 master + 1 replica behind 3 sentinels, REDIS_WAIT_REPLICAS=1: a webhook is
 *                    acknowledged once its event is on the replica;
 *   sentinel-wait-0  the same setup, REDIS_WAIT_REPLICAS=0: the cost of WAIT alone is the difference;
 *   cluster          3 masters, no replicas (REDIS_CLUSTER_NODES).
 * Per run and topology: a receiver in a process of its own (npm start's way, LOG_LEVEL=info), a 1 s
 * warm-up, then throughput and latency at saturation with autocannon; then a fresh receiver on a
 * fresh queue, a 3 s warm-up and latency at a steady open-loop rate (bench/steady-rate.ts). A
 * topology that cannot hold the rate (saturation below 1.2x it in the first run) gets half its
 * saturation throughput instead, and the tables say so. Each topology is started for its run and
 * stopped after it; whatever is running is stopped on failure and on SIGINT/SIGTERM too.
 */
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { startOwnRedis } from '../test/helpers/redis-server.js';
import { startRedisCluster, startRedisSentinel } from '../test/helpers/redis-topologies.js';
import { load, setRequest, type Load } from './more.js';
import { spawnTarget, type Target } from './spawn-target.js';
import { steadyRate, type SteadyResult } from './steady-rate.js';

export const TOPOLOGIES = ['single', 'sentinel-wait-1', 'sentinel-wait-0', 'cluster'] as const;
export type TopologyName = (typeof TOPOLOGIES)[number];

export const TOPOLOGY_LABELS: Record<TopologyName, string> = {
  single: 'single node',
  'sentinel-wait-1': 'Sentinel, 1 replica, WAIT 1',
  'sentinel-wait-0': 'Sentinel, 1 replica, no WAIT',
  cluster: 'Cluster, 3 masters',
};

const SHORT: Record<TopologyName, string> = { single: 'single', 'sentinel-wait-1': 'Sentinel WAIT 1', 'sentinel-wait-0': 'Sentinel no WAIT', cluster: 'Cluster' };

export const SATURATION_WARMUP_SECONDS = 1;
export const STEADY_WARMUP_SECONDS = 3;

export interface TopologyRun {
  topology: TopologyName;
  run: number;
  /** At saturation; `redeliveries`: requests that reused a token the queue had seen (cheaper), 0 when the pool sufficed. */
  saturation: Load & { redeliveries: number; waitCalls: number };
  /** At a steady rate; `lowered`: the topology could not hold the requested rate; `held`: it kept up with the rate it got. */
  steady: SteadyResult & { rate: number; lowered: boolean; held: boolean; redeliveries: number };
}

export interface TopologyOptions {
  seconds: number;
  connections: number;
  rate: number;
  runs: number;
}

/** The first of Debian's Redis programs the section needs that does not run here, if any. */
export function missingRedisProgram(): string | undefined {
  return ['redis-server', 'redis-sentinel', 'redis-cli'].find((program) => spawnSync(program, ['--version']).status !== 0);
}

interface Stoppable {
  stop(): Promise<void>;
}

/** Calls WAIT has served on the given data nodes so far (INFO commandstats), to check WAIT ran. */
function waitCalls(ports: number[]): number {
  let calls = 0;
  for (const port of ports) {
    const info = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'info', 'commandstats'], { encoding: 'utf8' }).stdout ?? '';
    calls += Number(/cmdstat_wait:calls=(\d+)/.exec(info)?.[1] ?? 0);
  }
  return calls;
}

/**
 * Runs the section. `envFor` gives npm start's environment for a receiver on the given Redis
 * variables, with a queue of its own each call; `tokens` are distinct signed SETs.
 */
export async function benchTopologies(envFor: (redis: Record<string, string>) => Record<string, string>, tokens: readonly string[], options: TopologyOptions, progress: (line: string) => void = () => {}): Promise<TopologyRun[]> {
  const running: Stoppable[] = [];
  const own = async <T extends Stoppable>(starting: Promise<T>): Promise<T> => {
    const started = await starting;
    running.push(started);
    return started;
  };
  const release = async (thing: Stoppable) => {
    running.splice(running.indexOf(thing), 1);
    await thing.stop();
  };
  /** Everything still running, the newest first (receivers before the Redis they use). */
  const stopAll = async () => {
    for (const thing of running.splice(0).reverse()) await thing.stop().catch(() => {});
  };
  const onSignal = (signal: NodeJS.Signals) => void stopAll().finally(() => process.kill(process.pid, signal));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  /** A receiver in a process of its own; SIGKILL if it has not stopped 10 s after SIGTERM. */
  const receiver = async (redis: Record<string, string>) => {
    const target = await spawnTarget(['service', 'receiver'], envFor(redis));
    const stop = async () => {
      const killer = setTimeout(() => target.child.kill('SIGKILL'), 10_000);
      await target.stop();
      clearTimeout(killer);
    };
    return { url: target.url, child: target.child, stop } satisfies Target;
  };

  const rates = new Map<TopologyName, { rate: number; lowered: boolean }>();
  const results: TopologyRun[] = [];
  const sockets = options.connections * 4;

  async function measure(topology: TopologyName, run: number, redis: Record<string, string>, dataPorts: number[]) {
    progress(`topologies: run ${run + 1}/${options.runs}, ${topology}`);
    let sent = 0;
    const next = () => setRequest(tokens[sent++ % tokens.length]!);
    const loaded = await own(receiver(redis));
    await load(loaded.url, { connections: options.connections, seconds: SATURATION_WARMUP_SECONDS }, next);
    const waitsBefore = waitCalls(dataPorts);
    const saturation = await load(loaded.url, { connections: options.connections, seconds: options.seconds }, next);
    const waits = waitCalls(dataPorts) - waitsBefore;
    const saturationRedeliveries = Math.max(0, sent - tokens.length);
    await release(loaded);

    if (!rates.has(topology)) {
      const holds = saturation['req/s'] >= 1.2 * options.rate;
      rates.set(topology, holds ? { rate: options.rate, lowered: false } : { rate: Math.max(50, Math.floor(saturation['req/s'] / 2 / 50) * 50), lowered: true });
    }
    const { rate, lowered } = rates.get(topology)!;
    // A fresh receiver on a fresh queue: every token is a new event again, and no backlog from above.
    sent = 0;
    const steadyTarget = await own(receiver(redis));
    await steadyRate(steadyTarget.url, { rate, seconds: STEADY_WARMUP_SECONDS, sockets }, next);
    const steady = await steadyRate(steadyTarget.url, { rate, seconds: options.seconds, sockets }, next);
    const steadyRedeliveries = Math.max(0, sent - tokens.length);
    await release(steadyTarget);
    results.push({
      topology,
      run: run + 1,
      saturation: { ...saturation, redeliveries: saturationRedeliveries, waitCalls: waits },
      steady: { ...steady, rate, lowered, held: steady['req/s'] >= 0.95 * rate, redeliveries: steadyRedeliveries },
    });
  }

  try {
    for (let run = 0; run < options.runs; run += 1) {
      const single = await own(startOwnRedis());
      await measure('single', run, { REDIS_URL: single.url }, [single.port]);
      await release(single);

      const sentinel = await own(startRedisSentinel({ replicas: 1 }));
      const sentinelEnv = { REDIS_SENTINELS: sentinel.sentinelAddresses, REDIS_SENTINEL_MASTER: sentinel.masterName };
      const masterPort = sentinel.currentMaster().port;
      // Both on the same setup, in alternating order over runs, so neither always goes first.
      const waits = run % 2 === 0 ? (['1', '0'] as const) : (['0', '1'] as const);
      for (const replicas of waits) await measure(`sentinel-wait-${replicas}`, run, { ...sentinelEnv, REDIS_WAIT_REPLICAS: replicas }, [masterPort]);
      await release(sentinel);

      const cluster = await own(startRedisCluster());
      await measure('cluster', run, { REDIS_CLUSTER_NODES: cluster.seeds }, cluster.nodes.map(({ port }) => port));
      await release(cluster);
      await sleep(500); // let the stopped processes' ports and memory go before the next run
    }
  } finally {
    await stopAll();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return results;
}

const stats = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return { min: sorted[0]!, median: sorted[Math.floor((sorted.length - 1) / 2)]!, max: sorted[sorted.length - 1]! };
};

/** The printed tables: saturation and steady rate per topology, min / median / max over runs. */
export function topologyTables(results: TopologyRun[]) {
  const present = TOPOLOGIES.filter((name) => results.some((result) => result.topology === name));
  const of = (name: TopologyName) => results.filter((result) => result.topology === name);
  const saturation = present.map((name) => {
    const runs = of(name);
    const rate = stats(runs.map((run) => run.saturation['req/s']));
    const p99 = stats(runs.map((run) => run.saturation['p99 ms']));
    return {
      topology: TOPOLOGY_LABELS[name],
      'req/s median': rate.median,
      'req/s min': rate.min,
      'req/s max': rate.max,
      'p50 ms median': stats(runs.map((run) => run.saturation['p50 ms'])).median,
      'p99 ms median': p99.median,
      'p99 ms min': p99.min,
      'p99 ms max': p99.max,
      non2xx: runs.reduce((sum, run) => sum + run.saturation.non2xx, 0),
      errors: runs.reduce((sum, run) => sum + run.saturation.errors, 0),
      redeliveries: runs.reduce((sum, run) => sum + run.saturation.redeliveries, 0),
    };
  });
  const steady = present.map((name) => {
    const runs = of(name);
    const p99 = stats(runs.map((run) => run.steady['p99 ms']));
    return {
      topology: TOPOLOGY_LABELS[name],
      'rate req/s': `${runs[0]!.steady.rate}${runs[0]!.steady.lowered ? ' (lowered)' : ''}`,
      'held (runs)': `${runs.filter((run) => run.steady.held).length}/${runs.length}`,
      'p50 ms median': stats(runs.map((run) => run.steady['p50 ms'])).median,
      'p99 ms median': p99.median,
      'p99 ms min': p99.min,
      'p99 ms max': p99.max,
      'max ms (worst)': Math.max(...runs.map((run) => run.steady['max ms'])),
      non2xx: runs.reduce((sum, run) => sum + run.steady.non2xx, 0),
      errors: runs.reduce((sum, run) => sum + run.steady.errors, 0),
    };
  });
  // Throughput ratios within each run, so that the machine's drift between runs cancels.
  const ratios = (
    [
      ['sentinel-wait-1', 'single'],
      ['sentinel-wait-0', 'single'],
      ['sentinel-wait-1', 'sentinel-wait-0'],
      ['cluster', 'single'],
    ] as const
  ).flatMap(([a, b]) => {
    const pairs = of(a).flatMap((run) => {
      const other = of(b).find((candidate) => candidate.run === run.run);
      return other ? [run.saturation['req/s'] / other.saturation['req/s']] : [];
    });
    if (pairs.length === 0) return [];
    const s = stats(pairs);
    return [{ ratio: `${SHORT[a]} / ${SHORT[b]}`, median: Number(s.median.toFixed(2)), min: Number(s.min.toFixed(2)), max: Number(s.max.toFixed(2)) }];
  });
  const perRun = results.map((result) => ({
    run: result.run,
    topology: TOPOLOGY_LABELS[result.topology],
    'sat. req/s': result.saturation['req/s'],
    'sat. p99 ms': result.saturation['p99 ms'],
    'sat. non2xx': result.saturation.non2xx,
    'WAIT calls': result.saturation.waitCalls,
    'steady req/s': result.steady.rate,
    'steady p99 ms': result.steady['p99 ms'],
    'steady max ms': result.steady['max ms'],
    'steady non2xx': result.steady.non2xx,
  }));
  return { saturation, ratios, steady, perRun };
}
