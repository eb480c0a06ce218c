/**
 * The scenarios beyond acknowledgement per store: ratios to a floor, fixed-rate latency and
 * end-to-end latency, worker throughput, Redis memory per retained event. All on Redis.
 */
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnTarget } from './spawn-target.js';
import { steadyRate } from './steady-rate.js';
import type { Config } from '../src/config/config.js';
import { sha256Hex } from '../src/events/envelope.js';
import { createEventQueue } from '../src/queue/event-queue.js';
import { setToEvents } from '../src/providers/kakao/set-to-events.js';
import type { SetClaims } from '../src/providers/kakao/verify-set.js';
import { startService, type Role } from '../src/service.js';
import { TEST_REDIS_URL, type TestBackend } from '../test/helpers/backends.js';
import { setClaims } from '../test/helpers/kakao-transmitter.js';
import { LOGTO_KEY, signLogto, userDataUpdated } from '../test/helpers/logto-signer.js';

const silent = pino({ level: 'silent' });
export type Request = { path: string; method?: 'GET' | 'POST'; headers: Record<string, string>; body?: string };

export interface Load { requests: number; 'req/s': number; 'p50 ms': number; 'p99 ms': number; 'max ms': number; non2xx: number; errors: number }

export async function load(url: string, options: { connections: number; seconds?: number; amount?: number; overallRate?: number }, request: () => Request): Promise<Load> {
  const result = await autocannon({
    url,
    connections: options.connections,
    ...(options.amount ? { amount: options.amount } : { duration: options.seconds! }),
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    requests: [{ setupRequest: (req) => { const made = request(); return { ...req, ...made, method: made.method ?? 'POST' }; } }],
  });
  return {
    requests: result.requests.total,
    'req/s': Math.round(result.requests.average),
    'p50 ms': result.latency.p50,
    'p99 ms': result.latency.p99,
    'max ms': result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

export const urlOf = (service: { app: { server: { address(): unknown } } }) => `http://127.0.0.1:${(service.app.server.address() as { port: number }).port}`;
export const setRequest = (token: string): Request => ({ path: '/webhooks/kakao/account-status', headers: { 'content-type': 'application/secevent+jwt' }, body: token });
let logtoUser = 0;
export const logtoRequest = (): Request => {
  const body = JSON.stringify(userDataUpdated({ userId: `u-${logtoUser++}` }));
  return { path: '/webhooks/logto', headers: { 'content-type': 'application/json', 'logto-signature-sha-256': signLogto(LOGTO_KEY, body) }, body };
};

/** The envelope id the receiver gives the (single) event of a signed SET. */
export function eventIdOf(token: string): string {
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { iss: string; jti: string; events: Record<string, unknown> };
  return `kakao-set-${sha256Hex(`${claims.iss}\n${claims.jti}\n${Object.keys(claims.events)[0]}`)}`;
}

export async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

/** BullMQ's key prefix on Redis: the default QUEUE_PREFIX, which every service the bench starts uses. */
const QUEUE_KEY_PREFIX = '{bull}';

/** Every key of a queue, the dedupe keys included (obliterate leaves those). */
export async function dropQueueKeys(redis: Redis, queue: string): Promise<number> {
  let dropped = 0;
  let cursor = '0';
  do {
    const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${QUEUE_KEY_PREFIX}:${queue}:*`, 'COUNT', 1000);
    cursor = nextCursor;
    if (keys.length > 0) dropped += await redis.unlink(...keys);
  } while (cursor !== '0');
  return dropped;
}

export async function countKeys(redis: Redis, pattern: string): Promise<number> {
  let count = 0;
  let cursor = '0';
  do {
    const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = nextCursor;
    count += keys.length;
  } while (cursor !== '0');
  return count;
}

async function pending(store: TestBackend, config: Config): Promise<number> {
  const queue = store.backend.createQueue(config.queue.name, {});
  try {
    return await queue.getJobCountByTypes('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
  } finally {
    await queue.close();
  }
}

/**
 * Fixed rate against role 'all' (receiver and worker in one process of their own, as npm start
 * runs them), and how long from each request's send time (taken in setupRequest) until the
 * service's handlers are done with its event (the target records that; same machine clock).
 */
/**
 * What most likely made the slowest acknowledgement slow: a GC pause, our own work holding the
 * event loop, or something outside the event loop (the process waiting for a core that another
 * process or thread held, or for Redis). A guess from the process's own figures, named as one.
 */
export function causeOf(worstMs: number, stalls: Stalls): string {
  const gcMax = Math.max(0, ...stalls.gcPausesOver5Ms.map((gc) => gc.ms));
  if (stalls.loopDelayMaxMs < worstMs / 2) return `outside the event loop (loop delay at most ${stalls.loopDelayMaxMs} ms): waiting for a core or for Redis`;
  if (gcMax >= stalls.loopDelayMaxMs / 2) return `GC pause (${gcMax} ms; loop delay at most ${stalls.loopDelayMaxMs} ms)`;
  return `event loop busy with our work (delay ${stalls.loopDelayMaxMs} ms, longest GC ${gcMax} ms)`;
}

export interface Stalls { eventLoopBusy: number; loopDelayMaxMs: number; loopDelayP99Ms: number; gcCount: number; gcTotalMs: number; gcPausesOver5Ms: { at: number; ms: number; kind: number }[] }

/**
 * Steady open-loop SETs to a service running receiver and worker in one process (role all),
 * after a warm-up at the same rate. Reports the acknowledgement latency, the time from sending to
 * handlers done, how long after the last request the worker had handled every acknowledged event
 * (the drain), and what stalled the process meanwhile (event-loop delay, GC pauses).
 */
export async function fixedRate(env: Record<string, string>, tokens: readonly string[], options: { seconds: number; rate: number; connections: number }) {
  const ids = new Map<string, string>(); // token -> event id
  const sent = new Map<string, number>();
  const handledLog = join(mkdtempSync(join(tmpdir(), 'bench-handled-')), 'handled.json');
  const service = await spawnTarget(['service', 'all'], { ...env, BENCH_HANDLED_LOG: handledLog });
  let stopped = false;
  try {
    let next = 0;
    // Warm-up at the same rate, not counted: the first second of a new process (JIT, first
    // connections, first scripts loaded into Redis) is slower than what follows.
    let warm = tokens.length - 1;
    await steadyRate(service.url, { rate: options.rate, seconds: 3, sockets: options.connections * 4 }, () => setRequest(tokens[warm--]!));
    service.child.kill('SIGUSR2'); // the target's stall figures start here
    const http = await steadyRate(service.url, { rate: options.rate, seconds: options.seconds, sockets: options.connections * 4 }, () => {
      const token = tokens[next++ % tokens.length]!;
      let id = ids.get(token);
      if (!id) ids.set(token, (id = eventIdOf(token)));
      if (!sent.has(id)) sent.set(id, Date.now());
      return setRequest(token);
    });
    const loadEndedAt = Date.now();
    // Let the worker finish what was acknowledged, then stop the target: it writes what it handled.
    await sleep(3000);
    await service.stop();
    stopped = true;
    const log = JSON.parse(readFileSync(handledLog, 'utf8')) as { handled: [string, number][]; stalls: Stalls };
    const handled = new Map(log.handled);
    // Only the measured requests: the warm-up's events are handled too, but were not timed.
    const latencies = [...handled].filter(([id]) => sent.has(id)).map(([id, at]) => at - sent.get(id)!).sort((a, b) => a - b);
    const lastHandled = Math.max(...[...sent.keys()].map((id) => handled.get(id) ?? Infinity));
    const at = (q: number) => latencies.length === 0 ? null : latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
    return {
      http,
      e2e: { events: latencies.length, sent: sent.size, 'p50 ms': at(0.5), 'p99 ms': at(0.99), 'max ms': latencies.length ? latencies[latencies.length - 1]! : null },
      // Infinity: some acknowledged event was not handled within the 3 s the bench waited.
      drainSeconds: Number((Math.max(0, lastHandled - loadEndedAt) / 1000).toFixed(2)),
      stalls: log.stalls,
      worstStall: causeOf(http['max ms'], log.stalls),
    };
  } finally {
    if (!stopped) await service.stop();
    rmSync(dirname(handledLog), { recursive: true, force: true });
  }
}

/** The reference targets of the rate section: what each part of role all costs the acknowledgement. */
export const RATE_REFERENCES = [
  { name: 'floor + EventQueue', args: ['floor'], path: '/floor-enqueue', env: {} },
  { name: 'floor + EventQueue + BullMQ worker, no-op processor', args: ['floor'], path: '/floor-enqueue', env: { BENCH_FLOOR_WORKER: '1' } },
  { name: 'service, role receiver (no worker)', args: ['service', 'receiver'], path: undefined, env: {} },
  { name: 'service, role all, BUILT_IN_HANDLERS=none (no handler runs)', args: ['service', 'all'], path: undefined, env: { BUILT_IN_HANDLERS: 'none' } },
] as const;

/**
 * One reference target of the rate section at the same steady rate, warm-up included, with the
 * same signed SETs (sent to `path` when given): acknowledgement latency only.
 */
export async function steadyReference(reference: (typeof RATE_REFERENCES)[number], env: Record<string, string>, tokens: readonly string[], options: { seconds: number; rate: number; connections: number }) {
  const target = await spawnTarget([...reference.args], { ...env, ...reference.env });
  try {
    let next = 0; // each reference has a queue of its own: the same tokens are new events to it
    const make = () => {
      const request = setRequest(tokens[next++ % tokens.length]!);
      return reference.path ? { ...request, path: reference.path } : request;
    };
    await steadyRate(target.url, { rate: options.rate, seconds: 3, sockets: options.connections * 4 }, make);
    return await steadyRate(target.url, { rate: options.rate, seconds: options.seconds, sockets: options.connections * 4 }, make);
  } finally {
    await target.stop();
  }
}

/**
 * Enqueue `count` SETs over HTTP with the receiver alone, then start a worker-only service and
 * time until the queue is empty. Also the Redis memory the dedupe keys keep after the drain.
 */
export async function workerThroughput(store: TestBackend, config: Config, tokens: readonly string[], options: { count: number; connections: number }) {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    const baseline = await usedMemory(redis);
    const receiver = await startService(config, { role: 'receiver', logger: silent, backend: store.backend });
    let next = 0;
    const http = await load(urlOf(receiver), { connections: options.connections, amount: options.count }, () => setRequest(tokens[next++ % tokens.length]!));
    await receiver.close();
    const queued = await pending(store, config);
    const started = performance.now();
    const worker = await startService(config, { role: 'worker' as Role, logger: silent, backend: store.backend });
    let left = queued;
    const until = Date.now() + 300_000;
    while (left > 0 && Date.now() < until) {
      await sleep(25);
      left = await pending(store, config);
    }
    const seconds = (performance.now() - started) / 1000;
    await worker.close();
    const inspect = store.backend.createQueue(config.queue.name, {});
    const failed = await inspect.getJobCountByTypes('failed');
    await inspect.close();
    await sleep(200);
    const afterDrain = await usedMemory(redis);
    const dedupeKeys = await countKeys(redis, `${QUEUE_KEY_PREFIX}:${config.queue.name}:de:*`);
    await dropQueueKeys(redis, config.queue.name);
    return {
      enqueue: http,
      queued,
      left,
      failed,
      'drain s': Number(seconds.toFixed(2)),
      'events/s': Math.round((queued - left) / seconds),
      dedupeKeys,
      'dedupe bytes/event': dedupeKeys ? Math.round((afterDrain - baseline) / dedupeKeys) : null,
    };
  } finally {
    redis.disconnect();
  }
}

/** used_memory before and after `count` waiting jobs (as the receiver adds them), no worker. */
export async function memoryPerEvent(store: TestBackend, config: Config, count: number) {
  const redis = new Redis(TEST_REDIS_URL);
  const queue = createEventQueue({ backend: store.backend, ...config.queue, timeoutMs: 60_000 });
  try {
    await queue.enqueue(setToEvents(setClaims() as SetClaims, new Date())); // creates the queue's meta keys
    const before = await usedMemory(redis);
    const started = performance.now();
    for (let done = 1; done < count + 1; ) {
      const batch = Math.min(500, count + 1 - done);
      const events = Array.from({ length: batch }, () => setToEvents(setClaims() as SetClaims, new Date())[0]!);
      await queue.enqueue(events);
      done += batch;
    }
    const enqueueSeconds = (performance.now() - started) / 1000;
    await sleep(200);
    const after = await usedMemory(redis);
    const keys = await countKeys(redis, `${QUEUE_KEY_PREFIX}:${config.queue.name}:*`);
    const waiting = await pending(store, config);
    const inspect = store.backend.createQueue(config.queue.name, {});
    await inspect.obliterate({ force: true }).catch(() => {});
    await inspect.close();
    const leftAfterObliterate = await countKeys(redis, `${QUEUE_KEY_PREFIX}:${config.queue.name}:*`);
    await dropQueueKeys(redis, config.queue.name);
    return { events: count, waiting, keys, 'bytes/event': Math.round((after - before) / count), 'used_memory before': before, 'used_memory after': after, 'enqueue events/s (addBulk 500)': Math.round(count / enqueueSeconds), 'keys left after obliterate (then deleted)': leftAfterObliterate };
  } finally {
    await queue.close();
    redis.disconnect();
  }
}
