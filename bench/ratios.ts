/**
 * Section `ratios`: the receiver's SET and Logto paths at saturation against reference routes that
 * do only part of the work, on Redis, each target in a process of its own (autocannon runs in the
 * bench's process):
 *
 *   bare           Fastify answering 202, nothing else
 *   floor          RS256 verify (node:crypto, thread pool) + JSON.parse of the claims
 *   floorEnqueue   floor + one job through the receiver's own EventQueue: the ceiling the store
 *                  sets for the SET path, with none of our other work
 *   logtoFloor     HMAC-SHA256 of the raw body + JSON.parse + one job through the EventQueue: the
 *                  same ceiling for the Logto path
 *   set, logto     the receiver (`service receiver`, LOG_LEVEL=info, as npm start runs it)
 *
 * On this kind of machine (2 vCPUs shared with other guests) the speed of the second core drifts
 * by tens of percent within a minute, so scenarios run back to back for 5 s each would measure
 * the drift as much as the code. Each run therefore interleaves them: `slices` rounds of one
 * `sliceSeconds` slice per scenario, in turn, after a warm-up slice each, and a scenario's rate is
 * its requests over its slices. Ratios are taken within a run; a fresh queue and receiver per run.
 */
import { randomUUID } from 'node:crypto';
import { load, logtoRequest, setRequest, type Load, type Request } from './more.js';
import { spawnTarget, type Target } from './spawn-target.js';

export const RATIO_SCENARIOS = ['bare', 'floor', 'floorEnqueue', 'logtoFloor', 'set', 'logto'] as const;
export type RatioScenario = (typeof RATIO_SCENARIOS)[number];
export type RatioRun = Record<RatioScenario, Load>;

export const SCENARIO_NAMES: Record<RatioScenario, string> = {
  bare: 'bare Fastify 202',
  floor: 'floor (RS256 verify + JSON.parse)',
  floorEnqueue: 'floor + EventQueue.enqueue (Redis)',
  logtoFloor: 'Logto floor (HMAC + JSON.parse + EventQueue.enqueue)',
  set: 'Kakao SET (receiver, Redis)',
  logto: 'Logto (receiver, Redis)',
};

/** The ratios the section reports, numerator / denominator, each within one run. */
export const RATIOS: readonly (readonly [RatioScenario, RatioScenario])[] = [
  ['set', 'floorEnqueue'],
  ['logto', 'floorEnqueue'],
  ['logto', 'logtoFloor'],
  ['set', 'floor'],
  ['floorEnqueue', 'floor'],
  ['logto', 'floor'],
  ['floor', 'bare'],
];

export interface RatioOptions {
  connections: number;
  slices: number;
  sliceSeconds: number;
  /** npm start's environment for a target with its own queue on the test Redis. */
  env: () => Record<string, string>;
  /** Deletes a queue's keys once a run is over. */
  dropQueue: (name: string) => Promise<void>;
}

/** One run: a fresh receiver and floor app (each with a new queue), scenarios interleaved. */
export async function ratioRun(tokens: readonly string[], options: RatioOptions): Promise<RatioRun> {
  const floorEnv = options.env();
  const serviceEnv = options.env();
  const floorApp = await spawnTarget(['floor'], floorEnv);
  const service = await spawnTarget(['service', 'receiver'], serviceEnv);
  try {
    // Distinct tokens across the run's slices, so that every SET is a new event to the queue.
    let next = 0;
    const token = () => tokens[next++ % tokens.length]!;
    const targets: Record<RatioScenario, [Target, () => Request]> = {
      bare: [floorApp, () => ({ ...setRequest(token()), path: '/bare' })],
      floor: [floorApp, () => ({ ...setRequest(token()), path: '/floor' })],
      floorEnqueue: [floorApp, () => ({ ...setRequest(token()), path: '/floor-enqueue' })],
      logtoFloor: [floorApp, () => ({ ...logtoRequest(), path: '/floor-logto-enqueue' })],
      set: [service, () => setRequest(token())],
      logto: [service, logtoRequest],
    };
    const slice = (scenario: RatioScenario) => load(targets[scenario][0].url, { connections: options.connections, seconds: options.sliceSeconds }, targets[scenario][1]);
    for (const scenario of RATIO_SCENARIOS) await slice(scenario); // warm-up: JIT, connections, first batches
    const slices = Object.fromEntries(RATIO_SCENARIOS.map((scenario) => [scenario, [] as Load[]])) as Record<RatioScenario, Load[]>;
    for (let round = 0; round < options.slices; round += 1) {
      for (const scenario of RATIO_SCENARIOS) slices[scenario].push(await slice(scenario));
    }
    return Object.fromEntries(RATIO_SCENARIOS.map((scenario) => [scenario, combine(slices[scenario], options.sliceSeconds)])) as RatioRun;
  } finally {
    await service.stop();
    await floorApp.stop();
    await options.dropQueue(serviceEnv.QUEUE_NAME!);
    await options.dropQueue(floorEnv.QUEUE_NAME!);
  }
}

/** A scenario's slices as one load: total requests over total time; p50/p99 the slices' medians. */
function combine(slices: Load[], sliceSeconds: number): Load {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  const requests = slices.reduce((sum, one) => sum + one.requests, 0);
  return {
    requests,
    'req/s': Math.round(requests / (slices.length * sliceSeconds)),
    'p50 ms': median(slices.map((one) => one['p50 ms'])),
    'p99 ms': median(slices.map((one) => one['p99 ms'])),
    'max ms': Math.max(...slices.map((one) => one['max ms'])),
    non2xx: slices.reduce((sum, one) => sum + one.non2xx, 0),
    errors: slices.reduce((sum, one) => sum + one.errors, 0),
  };
}

const stats = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const round = (x: number) => Number(x.toFixed(3));
  return { min: round(sorted[0]!), median: round(sorted[Math.floor((sorted.length - 1) / 2)]!), max: round(sorted.at(-1)!) };
};

/** The printed table: each scenario's rate and each ratio, min / median / max over runs. */
export function ratioTable(runs: RatioRun[], connections: number): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const scenario of RATIO_SCENARIOS) {
    const rates = stats(runs.map((run) => run[scenario]['req/s']));
    rows.push({ scenario: `${SCENARIO_NAMES[scenario]}, ${connections} conns`, median: rates.median, min: rates.min, max: rates.max, 'p99 ms (median run)': stats(runs.map((run) => run[scenario]['p99 ms'])).median, 'non2xx (all runs)': runs.reduce((sum, run) => sum + run[scenario].non2xx, 0) });
  }
  for (const [a, b] of RATIOS) {
    const ratio = stats(runs.map((run) => run[a]['req/s'] / run[b]['req/s']));
    rows.push({ scenario: `ratio ${a} / ${b}`, ...ratio });
  }
  return rows;
}

export const queueName = () => `bench-${randomUUID()}`;
