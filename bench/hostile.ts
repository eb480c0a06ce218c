/**
 * Section hostile: the attacks of issue 20's adversarial review, each against a fresh service in
 * a process of its own, started as npm start starts it (`node dist/main.js`, every limit at its
 * default, LOG_LEVEL=info, glibc's MALLOC_ARENA_MAX=1 and MALLOC_MMAP_THRESHOLD_=131072). For
 * each attack it reports:
 * - the service's RSS before the attack, at its peak (the kernel's high-water mark, VmHWM, reset
 *   as the attack starts) and after it;
 * - the latency of a correctly signed Kakao SET sent every 1/--probe-rate s on connections of its
 *   own: over 1 s before the attack, and while the attack runs (at least 2 s);
 * - what became of the attack's requests (answered, refused, connections closed).
 *
 * 1. pipelined: sockets that each write thousands of pipelined GETs in one write and never read;
 * 2. slow bodies: connections that send most of a large Logto body and then stall;
 * 3. unknown kid: SETs signed by some other RSA key under random kids, at a steady rate;
 * 4. change feed: every change feed stream the service allows (and more, refused), none of them
 *    reading, while signed Logto webhooks make its worker store account changes;
 * 5. connection slots: more connections than HTTP_MAX_CONNECTIONS, each sending one request and
 *    then idling, while the signed webhook comes on a new connection each time.
 *
 * All but the change feed run the receiver role on the test Redis (their queues are deleted
 * afterwards). The change feed runs role all (its worker stores the changes) on a redis-server the
 * bench starts, and is skipped without one: its changes are published on Redis's
 * `accounts:changes` channel, which every service on a shared Redis subscribes to, and its
 * account state would stay there.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Agent, get, request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { REDIS_CHANGES_CHANNEL } from '../src/accounts/stores/redis-store.js';
import { setClaims, startJwksServer, type JwksServer, type TestKey } from '../test/helpers/kakao-transmitter.js';
import { LOGTO_KEY, signLogto, userDataUpdated } from '../test/helpers/logto-signer.js';
import { startOwnRedis } from '../test/helpers/redis-server.js';
import { setRequest, type Request } from './more.js';
import { spawnBuilt } from './spawn-target.js';

export const HOSTILE_ATTACKS = ['pipelined', 'slow', 'kid', 'feed', 'slots'] as const;
export type HostileAttack = (typeof HOSTILE_ATTACKS)[number];

export interface HostileOptions {
  /** The key the targets' JWKS publishes; `probeTokens` are SETs it signed. */
  key: TestKey;
  probeTokens: readonly string[];
  /** npm start's environment for a target on the test Redis, with a queue of its own. */
  env: (extra?: Record<string, string>) => Record<string, string>;
  dropQueue: (name: string) => Promise<void>;
  attacks: readonly HostileAttack[];
  /** Signed SETs a second while an attack runs. */
  probeRate: number;
  /** Requests per pipelining socket, and how many such sockets at once (one run each). */
  pipelined: number;
  pipelinedSockets: readonly number[];
  /** Connections of the slow-body attack. */
  slowConnections: number;
  /** Forged SETs a second, and for how long. */
  kidRate: number;
  kidSeconds: number;
  /** Logto webhooks a second during the change feed attack, for how long, and over how many users. */
  feedRate: number;
  feedSeconds: number;
  feedUsers: number;
  /** Also run the change feed attack with its bounds raised out of reach. */
  feedUnbounded: boolean;
  /** Connections of the connection-slot attack, and how long it holds them. */
  slotConnections: number;
  slotSeconds: number;
  progress: (line: string) => void;
}

export interface ProbeStats {
  sent: number;
  'p50 ms': number | null;
  'p99 ms': number | null;
  'max ms': number | null;
  non2xx: number;
  errors: number;
  /** The slowest answers: [when sent (epoch ms), latency ms]. */
  slowest: [number, number][];
}

export interface HostileRow {
  attack: string;
  sends: string;
  'RSS before MiB': number;
  'RSS peak MiB': number;
  'RSS after MiB': number;
  /** The signed webhook's p50 / max, quiet (1 s before) and during the attack. */
  'webhook quiet p50/max ms': string;
  'webhook under attack p50/max ms': string;
  'webhook non2xx/errors': string;
  outcome: string;
}

const MiB = 1024 * 1024;
const execFileAsync = promisify(execFile);
const mib = (bytes: number) => Math.round(bytes / MiB);
const ms = (value: number | null) => (value === null ? '-' : value < 10 ? value.toFixed(1) : String(Math.round(value)));
const latency = (stats: ProbeStats) => `${ms(stats['p50 ms'])} / ${ms(stats['max ms'])}`;

export async function benchHostile(options: HostileOptions) {
  const rows: HostileRow[] = [];
  const details: Record<string, unknown>[] = [];
  let probeIndex = 0;
  const probeRequest = (): Request => ({ ...setRequest(options.probeTokens[probeIndex++ % options.probeTokens.length]!), headers: { 'content-type': 'application/secevent+jwt', 'x-request-id': `probe-${probeIndex}` } });

  /** A fresh target with a JWKS server of its own (whose fetches are counted) and its log in a file. */
  async function withTarget<T>(role: 'receiver' | 'all', extra: Record<string, string>, work: (target: RunningTarget) => Promise<T>): Promise<T> {
    const jwks = await startJwksServer([options.key]);
    const dir = mkdtempSync(join(tmpdir(), 'bench-hostile-'));
    const log = join(dir, 'target.log');
    writeFileSync(log, '');
    const env = { ...options.env({ KAKAO_JWKS_URI: jwks.url }), ...extra };
    const spawned = await spawnBuilt(role, env, { logFile: log });
    const target: RunningTarget = { url: spawned.url, port: Number(new URL(spawned.url).port), pid: spawned.child.pid!, jwks, log };
    try {
      // Start-up's own allocations settle, and the first request's compilation is not the attack's.
      const warm = startProbe(target.url, 20, probeRequest);
      await sleep(1000);
      await warm.stop();
      return await work(target);
    } finally {
      await spawned.stop();
      await jwks.close();
      if (!extra.REDIS_URL) await options.dropQueue(env.QUEUE_NAME!);
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Quiet probe, then the attack with the probe running until it resolves; RSS around it. */
  async function measure(target: RunningTarget, attack: (startedAt: number) => Promise<{ outcome: string; detail: Record<string, unknown>; settleMs?: number }>, fresh = false) {
    const quiet = startProbe(target.url, options.probeRate, probeRequest, fresh);
    await sleep(1000);
    const quietStats = await quiet.stop();
    const before = rssOf(target.pid);
    resetPeak(target.pid);
    const samples = sampleRss(target.pid);
    const probe = startProbe(target.url, options.probeRate, probeRequest, fresh);
    const started = performance.now();
    const startedAt = Date.now();
    const result = await attack(startedAt);
    // At least 2 s of probing: a short attack's aftermath (GC, work still queued) counts too.
    await sleep(Math.max(0, 2000 - (performance.now() - started)));
    const underAttack = await probe.stop();
    await sleep(result.settleMs ?? 1000);
    const after = rssOf(target.pid);
    const peak = Math.max(peakOf(target.pid), samples.stop().peak);
    return {
      row: {
        'RSS before MiB': mib(before),
        'RSS peak MiB': mib(peak),
        'RSS after MiB': mib(after),
        'webhook quiet p50/max ms': latency(quietStats),
        'webhook under attack p50/max ms': latency(underAttack),
        'webhook non2xx/errors': `${underAttack.non2xx}/${underAttack.errors}`,
        outcome: result.outcome,
      },
      detail: {
        rss: { before, peak, after, timeline: samples.timeline },
        // The slowest webhooks, by when they were sent: ms after the attack started.
        probe: { quiet: { ...quietStats, slowest: undefined }, underAttack: { ...underAttack, slowest: underAttack.slowest.map(([at, ms]) => [at - startedAt, ms]) } },
        ...result.detail,
      },
    };
  }

  const record = (attack: string, sends: string, measured: Awaited<ReturnType<typeof measure>>) => {
    rows.push({ attack, sends, ...measured.row });
    details.push({ attack, sends, ...measured.row, ...measured.detail });
    options.progress(`hostile: ${attack}: ${measured.row.outcome}`);
  };

  if (options.attacks.includes('pipelined')) {
    const cases = options.pipelinedSockets.flatMap((sockets) => [['/metrics', sockets], ['/healthz', sockets]] as const);
    for (const [path, sockets] of cases) {
      await withTarget('receiver', {}, async (target) => {
        const measured = await measure(target, () => pipelinedFlood(target, path, sockets, options.pipelined));
        record(`pipelined GET ${path}, ${sockets} socket${sockets > 1 ? 's' : ''}`, `${options.pipelined.toLocaleString('en')} requests per socket in one write, never reads`, measured);
      });
    }
  }

  if (options.attacks.includes('slow')) {
    const cases = [
      { length: 2_000_000, sent: 1_990_000, what: 'over LOGTO_BODY_LIMIT' },
      { length: 1_000_000, sent: 990_000, what: 'within LOGTO_BODY_LIMIT' },
    ];
    for (const { length, sent, what } of cases) {
      await withTarget('receiver', {}, async (target) => {
        const measured = await measure(target, () => slowBodies(target, options.slowConnections, length, sent));
        record(
          `slow bodies, ${what}`,
          `${options.slowConnections} connections: POST /webhooks/logto, Content-Length ${length.toLocaleString('en')}, ${sent.toLocaleString('en')} bytes sent, then nothing`,
          measured,
        );
      });
    }
  }

  if (options.attacks.includes('kid')) {
    const count = Math.round(options.kidRate * options.kidSeconds);
    const forged = forgedSets(count);
    for (const cooldown of [undefined, '1000']) {
      await withTarget('receiver', cooldown ? { JWKS_COOLDOWN_MS: cooldown } : {}, async (target) => {
        const measured = await measure(target, () => unknownKidFlood(target, forged, options.kidRate, options.kidSeconds));
        record(
          `unknown kid${cooldown ? `, JWKS_COOLDOWN_MS=${cooldown}` : ''}`,
          `${options.kidRate} forged SETs/s for ${options.kidSeconds} s, each a new random kid, signed by another RSA key`,
          measured,
        );
      });
    }
  }

  if (options.attacks.includes('feed')) {
    const own = await startOwnRedis().catch(() => undefined);
    if (!own) console.log('redis-server does not run here: the change feed attack is skipped (Debian: apt-get install redis-server)');
    else try {
      const bounds = options.feedUnbounded ? [false, true] : [false];
      // The run with the bounds raised gets as many webhooks as the one with them took.
      let webhooks: number | undefined;
      for (const unbounded of bounds) {
        const tokens = Array.from({ length: 10 }, (_, i) => `bench-feed-token-${i}-${randomUUID()}`);
        const extra: Record<string, string> = {
          ACCOUNT_API_TOKENS: tokens.join(','),
          REDIS_URL: own.url,
          ...(unbounded ? { CHANGE_FEED_MAX_BUFFER_BYTES: String(1024 * MiB), CHANGE_FEED_DRAIN_TIMEOUT_MS: '3600000' } : {}),
        };
        await withTarget('all', extra, async (target) => {
          let sent = 0;
          const measured = await measure(target, async (startedAt) => {
            const result = await changeFeedFlood(target, own.url, tokens, options, startedAt, unbounded ? webhooks : undefined);
            sent = result.sent;
            return result;
          });
          if (!unbounded) webhooks = sent;
          record(
            `change feed${unbounded ? ', bounds raised (1 GiB, 1 h)' : ''}`,
            `every stream it allows, then 100 more (10 tokens), none reading after \`event: ready\`; then signed Logto User.Data.Updated webhooks over ${options.feedUsers} users, each a change for every stream, at up to ${options.feedRate.toLocaleString('en')}/s (none sent while 64 are unanswered): ${unbounded ? 'as many as the run above' : `until every stream is cut, at most ${options.feedSeconds} s`}`,
            measured,
          );
        });
      }
    } finally {
      await own.stop();
    }
  }

  if (options.attacks.includes('slots')) {
    await withTarget('receiver', {}, async (target) => {
      const measured = await measure(target, () => connectionSlots(target, options.slotConnections, options.slotSeconds), true);
      record(
        'connection slots',
        `${options.slotConnections} connections, each one GET /healthz, then idle (kept alive); the webhook on a new connection each time`,
        measured,
      );
    });
  }

  return { rows, details };
}

interface RunningTarget { url: string; port: number; pid: number; jwks: JwksServer; log: string }

// ---------------------------------------------------------------------------------------------
// The target's memory, from /proc.

function rssOf(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}
function peakOf(pid: number): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}
/** Resets the kernel's peak RSS of the process (VmHWM) to its current RSS (Linux 4.0+). */
function resetPeak(pid: number) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // Not allowed here: the sampled peak stands alone.
  }
}
/** RSS every 100 ms, for the timeline in the results (the peak comes from VmHWM). */
function sampleRss(pid: number) {
  const started = performance.now();
  const timeline: [number, number][] = [];
  let peak = 0;
  const timer = setInterval(() => {
    try {
      const rss = rssOf(pid);
      peak = Math.max(peak, rss);
      timeline.push([Math.round(performance.now() - started), mib(rss)]);
    } catch {
      // exited
    }
  }, 100);
  return { timeline, stop: () => (clearInterval(timer), { peak }) };
}

// ---------------------------------------------------------------------------------------------
// The probe: a signed webhook at a steady low rate, on keep-alive connections of its own.

function startProbe(url: string, rate: number, make: () => Request, fresh = false) {
  const target = new URL(url);
  // fresh: a new connection per request, as a sender without a kept-alive connection opens one.
  const agent = fresh ? false : new Agent({ keepAlive: true, maxSockets: 4 });
  const latencies: number[] = [];
  const timed: [number, number][] = [];
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  let non2xx = 0;
  let errors = 0;
  const timer = setInterval(() => {
    const made = make();
    const started = performance.now();
    const sentAt = Date.now();
    sent += 1;
    const done = new Promise<void>((resolve) => {
      const req = httpRequest({ host: target.hostname, port: target.port, path: made.path, method: made.method ?? 'POST', headers: made.headers, agent, timeout: 30_000 }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - started);
          timed.push([sentAt, Math.round(performance.now() - started)]);
          if (res.statusCode! < 200 || res.statusCode! >= 300) non2xx += 1;
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => ((errors += 1), resolve()));
      req.end(made.body);
    });
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  }, 1000 / rate);
  return {
    async stop(): Promise<ProbeStats> {
      clearInterval(timer);
      await Promise.all(inFlight);
      if (agent) agent.destroy();
      latencies.sort((a, b) => a - b);
      const at = (q: number) => (latencies.length === 0 ? null : Number(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(1)));
      const slowest = timed.sort((a, b) => b[1] - a[1]).slice(0, 5);
      return { sent, 'p50 ms': at(0.5), 'p99 ms': at(0.99), 'max ms': at(1), non2xx, errors, slowest };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Which of our sockets the target has closed: /proc/net/tcp lists a connection while it is open.

/** Local ports of this machine's TCP connections to `port` that are ESTABLISHED. */
function establishedTo(port: number): Set<number> {
  const open = new Set<number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 4 || fields[3] !== '01') continue;
      const remotePort = parseInt(fields[2]!.split(':')[1]!, 16);
      if (remotePort === port) open.add(parseInt(fields[1]!.split(':')[1]!, 16));
    }
  }
  return open;
}

/** Polls until every socket is closed by the far end (or `timeoutMs`); ms until each closed. */
async function closedTimes(port: number, sockets: Socket[], since: number, timeoutMs: number): Promise<(number | null)[]> {
  const closedAt: (number | null)[] = sockets.map(() => null);
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    const open = establishedTo(port);
    sockets.forEach((socket, index) => {
      if (closedAt[index] === null && (socket.destroyed || !open.has(socket.localPort!))) closedAt[index] = Math.round(performance.now() - since);
    });
    if (closedAt.every((at) => at !== null)) break;
    await sleep(50);
  }
  return closedAt;
}

function connectTo(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Bytes the target's log gained from `offset`, and its lines (whole lines only). */
function logSince(file: string, offset: number): { bytes: number; lines: string[] } {
  const size = statSync(file).size;
  const buffer = Buffer.alloc(size - offset);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buffer, 0, buffer.length, offset);
  } finally {
    closeSync(fd);
  }
  return { bytes: buffer.length, lines: buffer.toString('utf8').split('\n').filter((line) => line.length > 0) };
}

const statsOf = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? null : { min: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]!, max: sorted[sorted.length - 1]! };
};

// ---------------------------------------------------------------------------------------------
// 1. Pipelined flood.

async function pipelinedFlood(target: RunningTarget, path: string, count: number, perSocket: number) {
  const offset = statSync(target.log).size;
  const payload = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`.repeat(perSocket));
  const started = performance.now();
  const sockets = await Promise.all(Array.from({ length: count }, async () => {
    const socket = await connectTo(target.port);
    socket.on('error', () => {});
    socket.pause(); // never reads an answer
    socket.write(payload);
    return socket;
  }));
  const closed = await closedTimes(target.port, sockets, started, 10_000);
  for (const socket of sockets) socket.destroy();
  await sleep(200);
  const { lines } = logSince(target.log, offset);
  // An answered request writes its completion line; one refused for the in-flight limit writes
  // its `code` as the 503 is decided, whether or not the answer reached the socket.
  const answered = lines.filter((line) => line.includes('"msg":"request completed"') && !line.includes('"reqId":"probe-')).length;
  const refused = lines.filter((line) => line.includes('"code":"ERR_TOO_MANY_IN_FLIGHT"')).length;
  const closedMs = closed.filter((at): at is number => at !== null);
  const total = count * perSocket;
  return {
    outcome: `${answered} answers completed, ${refused} refused with 503 ERR_TOO_MANY_IN_FLIGHT; ${closedMs.length} of ${count} sockets closed by the target${closedMs.length ? `, the last after ${Math.max(...closedMs)} ms` : ''}`,
    detail: { sent: total, answersCompleted: answered, refused503: refused, socketsClosedByTarget: closedMs.length, closedMs: statsOf(closedMs) },
    settleMs: 2000,
  };
}

// ---------------------------------------------------------------------------------------------
// 2. Slow bodies.

async function slowBodies(target: RunningTarget, count: number, contentLength: number, sent: number) {
  const body = Buffer.alloc(sent, 'x');
  const head = Buffer.from(
    `POST /webhooks/logto HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nLogto-Signature-Sha-256: ${'0'.repeat(64)}\r\nContent-Length: ${contentLength}\r\n\r\n`,
  );
  const started = performance.now();
  const statuses = new Map<string, number>();
  const closedAt: number[] = [];
  const sockets = await Promise.all(Array.from({ length: count }, async () => {
    const socket = await connectTo(target.port);
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      if (answer.length < 64) answer += chunk.toString('latin1', 0, 64);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      closedAt.push(Math.round(performance.now() - started));
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 'none';
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    });
    socket.write(head);
    socket.write(body);
    return socket;
  }));
  // Until the target has closed every one of them, at most 15 s.
  const until = performance.now() + 15_000;
  while (closedAt.length < count && performance.now() < until) await sleep(50);
  const held = count - closedAt.length;
  for (const socket of sockets) socket.destroy();
  // Webhooks go on for a while: whether the memory the bodies held comes back.
  await sleep(5000);
  const released = statsOf(closedAt);
  const answers = [...statuses].map(([status, n]) => `${n}x ${status === 'none' ? 'no answer' : status}`).join(', ');
  return {
    outcome: `${answers}; connections closed by the target after ${released ? `${[...new Set([released.min, released.max].map((at) => (at / 1000).toFixed(1)))].join('-')} s` : '-'}${held ? `, ${held} still open at 15 s (closed by the bench)` : ''}`,
    detail: { connections: count, contentLength, bytesSent: sent, answers: Object.fromEntries(statuses), closedMs: released, stillOpenAt15s: held },
  };
}

// ---------------------------------------------------------------------------------------------
// 3. Unknown-kid flood.

/** SETs with Kakao's claims, each under a new random kid, signed by a key Kakao does not publish. */
function forgedSets(count: number): string[] {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return Array.from({ length: count }, () => {
    const input = `${encode({ alg: 'RS256', typ: 'secevent+jwt', kid: randomBytes(12).toString('base64url') })}.${encode(setClaims())}`;
    return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
  });
}

/**
 * Requests at `rate` a second for `seconds`, open loop, over `sockets` keep-alive connections;
 * answers by status and error code. A request falls due but is not sent while `sockets` * 4 are
 * unanswered (the target is behind): the load ends on time whatever the target's pace.
 */
async function openLoop(url: string, rate: number, seconds: number, sockets: number, make: (index: number) => Request, stop: { count?: number; when?: () => boolean } = {}) {
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const answers = new Map<string, number>();
  const count = (key: string) => answers.set(key, (answers.get(key) ?? 0) + 1);
  const total = Math.round(rate * seconds);
  const pending: Promise<void>[] = [];
  const started = performance.now();
  let due = 0;
  let sent = 0;
  let unanswered = 0;
  const done = () => due >= total || sent >= (stop.count ?? Infinity) || (stop.when?.() ?? false);
  while (!done()) {
    const now = performance.now();
    while (!done() && started + (due * 1000) / rate <= now) {
      due += 1;
      if (unanswered >= sockets * 4) continue;
      const made = make(sent);
      sent += 1;
      unanswered += 1;
      pending.push(new Promise<void>((resolve) => {
        const req = httpRequest({ host: target.hostname, port: target.port, path: made.path, method: made.method ?? 'POST', headers: made.headers, agent, timeout: 30_000 }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => void (text.length < 200 && (text += chunk)));
          res.on('end', () => {
            const code = /"(?:error|err)":"([A-Za-z_]+)"/.exec(text)?.[1];
            count(`${res.statusCode}${code ? ` ${code}` : ''}`);
            unanswered -= 1;
            resolve();
          });
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', (error: NodeJS.ErrnoException) => (count(`error ${error.code ?? error.message}`), (unanswered -= 1), resolve()));
        req.end(made.body);
      }));
    }
    await sleep(5);
  }
  await Promise.all(pending);
  agent.destroy();
  return { due, sent, seconds: Number(((performance.now() - started) / 1000).toFixed(2)), answers: Object.fromEntries([...answers].sort((a, b) => b[1] - a[1])) };
}

async function unknownKidFlood(target: RunningTarget, forged: readonly string[], rate: number, seconds: number) {
  const fetchesBefore = target.jwks.requests;
  const offset = statSync(target.log).size;
  const flood = await openLoop(target.url, rate, seconds, 16, (index) => setRequest(forged[index % forged.length]!));
  await sleep(300);
  const { lines } = logSince(target.log, offset);
  // The forged requests' lines: every line of the window but the probe's.
  const attackBytes = lines.filter((line) => !line.includes('"reqId":"probe-')).reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0);
  const fetches = target.jwks.requests - fetchesBefore;
  const answers = Object.entries(flood.answers).map(([answer, n]) => `${n}x ${answer}`).join(', ');
  return {
    outcome: `${answers}; ${fetches} JWKS fetch${fetches === 1 ? '' : 'es'}; ${Math.round(attackBytes / flood.sent)} log bytes per forged request`,
    detail: { ...flood, jwksFetches: fetches, logBytes: attackBytes, logBytesPerRequest: Math.round(attackBytes / flood.sent) },
  };
}

// ---------------------------------------------------------------------------------------------
// 4. Change feed.

/** Opens a stream on a raw socket: reads the answer's head and, on 200, up to `event: ready`, then stops reading. */
function openStream(port: number, token: string): Promise<{ status: number; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('error', reject);
    socket.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), socket }));
    socket.on('data', function onData(chunk: Buffer) {
      text += chunk.toString('utf8');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      if (status === 200 && !text.includes('event: ready')) return;
      if (status !== 200 && !text.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.off('error', reject);
      socket.on('error', () => {});
      socket.setTimeout(0);
      socket.pause();
      resolve({ status, socket });
    });
    socket.write(`GET /v1/accounts/changes HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nAccept: text/event-stream\r\n\r\n`);
  });
}

/** The values of one metric in the target's GET /metrics, by `reason` label ('' without one). */
async function metricValues(url: string, name: string): Promise<Record<string, number>> {
  const text = await new Promise<string>((resolve, reject) => {
    get(`${url}/metrics`, { agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(body));
    }).on('error', reject);
  });
  const values: Record<string, number> = {};
  for (const match of text.matchAll(new RegExp(`^${name}(?:\\{reason="([a-z_]+)"\\})? (\\d+)$`, 'gm'))) values[match[1] ?? ''] = Number(match[2]);
  return values;
}

/**
 * Bytes the kernel holds in the send queues of the target's connections (Send-Q of `ss` for the
 * connections on its port): what it wrote that the peers have not taken, in open connections
 * and in ones the target has closed (FIN-WAIT-1: the kernel still holds what was queued until
 * the peer takes it or the kernel gives up). Zeros without `ss`.
 */
async function sendQueues(port: number): Promise<{ open: number; closed: number; closedSockets: number }> {
  const queues = { open: 0, closed: 0, closedSockets: 0 };
  try {
    const { stdout } = await execFileAsync('ss', ['-tnH', `( sport = :${port} )`]);
    for (const line of stdout.split('\n')) {
      const [state, , sendQ] = line.trim().split(/\s+/);
      if (state === 'ESTAB') queues.open += Number(sendQ) || 0;
      else if (state === 'FIN-WAIT-1') ((queues.closed += Number(sendQ) || 0), (queues.closedSockets += 1));
    }
  } catch {
    // no ss here
  }
  return queues;
}

/**
 * Opens every stream the target allows (and 100 more), then sends signed Logto webhooks until the
 * target has cut every stream, `options.feedSeconds` have passed, or `webhooks` were sent.
 */
async function changeFeedFlood(target: RunningTarget, redisUrl: string, tokens: readonly string[], options: HostileOptions, attackStartedAt: number, webhooks?: number) {
  // Each token opens streams until it is refused: 16 per token, 64 in all by default; then 100
  // more, on tokens that still have slots of their own (refused for the process's limit).
  const streams: Socket[] = [];
  const refused: string[] = [];
  const attempt = async (token: string) => {
    const { status, socket } = await openStream(target.port, token);
    if (status === 200) {
      streams.push(socket);
      return true;
    }
    refused.push(String(status));
    socket.destroy();
    return false;
  };
  for (const token of tokens) {
    let opened = 0;
    while (await attempt(token)) opened += 1;
    if (opened === 0) break; // the process's limit is reached
  }
  for (let extra = 0; extra < 100; extra += 1) await attempt(tokens[tokens.length - 1 - (extra % 3)]!);
  const refusedMetric = await metricValues(target.url, 'account_change_streams_refused_total');
  options.progress(`hostile: change feed: ${streams.length} streams open, ${refused.length} refused`);

  // Signed Logto webhooks, each a new profile for one of a few users: each one the worker applies is a change on every stream.
  const webhooksFrom = Date.now() - attackStartedAt;
  const offset = statSync(target.log).size;
  const users = Array.from({ length: options.feedUsers }, (_, i) => `bench-feed-${i}-${randomUUID().slice(0, 8)}`);
  const base = Date.now() - 3_600_000;
  // What the worker published, as every stream is sent it: counted on the store's own channel.
  const subscriber = new Redis(redisUrl);
  let published = 0;
  let streamBytes = 0;
  subscriber.on('message', (_channel: string, text: string) => {
    const change = JSON.parse(text) as { userId: string; eventId: string };
    if (!change.userId.startsWith('bench-feed-')) return;
    published += 1;
    streamBytes += Buffer.byteLength(`event: change\nid: ${change.eventId}\ndata: ${text}\n\n`);
  });
  await subscriber.subscribe(REDIS_CHANGES_CHANNEL);
  let queuedPeak = 0;
  let sampling = true;
  let allCut = false;
  const sampler = (async () => {
    while (sampling) {
      const queues = await sendQueues(target.port);
      queuedPeak = Math.max(queuedPeak, queues.open + queues.closed);
      const dropped = await metricValues(target.url, 'account_change_streams_dropped_total').catch(() => ({}));
      allCut = Object.values(dropped).reduce((sum, n) => sum + n, 0) >= streams.length;
      await sleep(250);
    }
  })();
  const changes = await openLoop(target.url, options.feedRate, options.feedSeconds, 16, (index) => {
    const payload = userDataUpdated({ userId: users[index % users.length]!, createdAt: new Date(base + index).toISOString() });
    (payload.data as Record<string, unknown>).name = `name ${index}`;
    const body = JSON.stringify(payload);
    return { path: '/webhooks/logto', headers: { 'content-type': 'application/json', 'logto-signature-sha-256': signLogto(LOGTO_KEY, body) }, body };
  }, { count: webhooks, when: () => allCut });
  await sleep(1000); // the worker's last changes
  sampling = false;
  await sampler;
  subscriber.disconnect();
  // What the kernel still holds for the streams the target cut, while their readers keep the
  // connections open without reading (as an attacker would, at no cost).
  const queuesAtEnd = await sendQueues(target.port);
  const { lines } = logSince(target.log, offset);
  const cut = lines.filter((line) => line.includes('change feed stream ended')).map((line) => (JSON.parse(line) as { time: number }).time - attackStartedAt);
  const dropped = await metricValues(target.url, 'account_change_streams_dropped_total');
  const open = (await metricValues(target.url, 'account_change_streams_open'))[''] ?? 0;
  for (const socket of streams) socket.destroy();
  const droppedText = Object.entries(dropped).map(([reason, n]) => `${n} ${reason}`).join(', ') || 'none';
  return {
    sent: changes.sent,
    outcome: `${streams.length} streams open, ${refused.length} refused 429 (${Object.entries(refusedMetric).map(([reason, n]) => `${n} ${reason}`).join(', ')}); ${changes.answers['200'] ?? 0} of ${changes.sent} webhooks accepted in ${changes.seconds} s, ${published} changes published (${mib(streamBytes)} MiB for each stream); streams cut: ${droppedText}, ${open} open at the end; the kernel's send queues of the target's connections held ${mib(queuedPeak)} MiB at most, ${mib(queuesAtEnd.closed)} MiB of it still in the ${queuesAtEnd.closedSockets} connections it had closed`,
    detail: {
      streams: streams.length,
      refused: refused.length,
      refusedByReason: refusedMetric,
      webhooks: changes,
      droppedByReason: dropped,
      openAtEnd: open,
      // Times in ms after the attack started (streams opened first): the first webhook, and when
      // the target cut streams (from its log).
      webhooksFromMs: webhooksFrom,
      cutMs: statsOf(cut),
      changesPublished: published,
      bytesPerStream: streamBytes,
      kernelSendQueuedPeak: queuedPeak,
      kernelSendQueuedAtEnd: queuesAtEnd,
    },
    settleMs: 2000,
  };
}

// ---------------------------------------------------------------------------------------------
// 5. Connection slots.

/**
 * Connections that each send one cheap request and then idle: the server keeps each for its
 * keep-alive timeout, and refuses connections past HTTP_MAX_CONNECTIONS as they arrive.
 */
async function connectionSlots(target: RunningTarget, count: number, seconds: number) {
  const started = performance.now();
  let answered = 0;
  const closedAt: number[] = [];
  const sockets = await Promise.all(Array.from({ length: count }, () => new Promise<Socket>((resolve) => {
    const socket = connect(target.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.on('close', () => closedAt.push(Math.round(performance.now() - started)));
    socket.once('data', () => ((answered += 1), resolve(socket)));
    socket.once('close', () => resolve(socket));
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    socket.on('data', () => {});
  })));
  const refusedAtOnce = closedAt.length;
  await sleep(seconds * 1000);
  const closedByTarget = closedAt.length - refusedAtOnce;
  for (const socket of sockets) socket.destroy();
  return {
    outcome: `${answered} answered and kept alive, ${refusedAtOnce} closed as they arrived; ${closedByTarget} of the kept ones closed by the target within ${seconds} s (keep-alive timeout 72 s), then closed by the bench`,
    detail: { connections: count, keptAlive: answered, closedOnArrival: refusedAtOnce, closedByTargetWithinWindow: closedByTarget, seconds },
  };
}
