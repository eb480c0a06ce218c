/**
 * Where the CPU goes at a steady rate, as the `rate` section of npm run bench loads the service:
 * signed SETs open loop at --rate a second, one service process (--role all: receiver and worker;
 * --role receiver: no worker). Prints µs of CPU per request for the target's main thread, its
 * other threads, Redis and the sender, read from /proc over the measured window, and the
 * latency; with --profile, the target's main thread by package as well (bench/profile.ts does the
 * same at saturation). Run it with --role all and --role receiver to see what the worker costs.
 *
 *   npx tsx bench/rate-profile.ts [--rate 1000 --seconds 6 --role all --profile]
 *   npx tsx bench/rate-profile.ts --target floor-worker   (floor + EventQueue + a no-op BullMQ worker)
 *   npx tsx bench/rate-profile.ts --role receiver --worker-process   (roles split, same machine)
 *
 * Needs Redis at 127.0.0.1:6379, running as redis-server. Environment variables the service reads
 * (WORKER_CONCURRENCY, ...) pass through to the target.
 */
import { execSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { createTestKey, setClaims, signSet, startJwksServer, TEST_AUDIENCE } from '../test/helpers/kakao-transmitter.js';
import { dropQueueKeys, setRequest } from './more.js';
import { cpuByThread } from './proc-cpu.js';
import { byPart } from './profile-parts.js';
import { spawnTarget } from './spawn-target.js';
import { steadyRate } from './steady-rate.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '6' },
    role: { type: 'string', default: 'all' },
    /** floor or floor-worker: bench/floor.ts's /floor-enqueue instead of the service (role is then ignored). */
    target: { type: 'string', default: 'service' },
    profile: { type: 'boolean', default: false },
    /** A worker-role service in a process of its own on the same queue (with --role receiver: roles split). */
    'worker-process': { type: 'boolean', default: false },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);

const redisPid = Number(execSync('pgrep -o redis-server').toString().trim());
const key = await createTestKey('bench-key');
const jwks = await startJwksServer([key]);
const total = Math.ceil(rate * (seconds + 3));
const tokens = await Promise.all(Array.from({ length: total }, () => signSet(key, setClaims())));
const dir = mkdtempSync(join(tmpdir(), 'bench-rate-profile-'));
const env: Record<string, string> = {
  ...Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => /^(WORKER_|QUEUE_|ACCOUNT|REDIS_WAIT|BUILT_IN)/.test(entry[0]) && entry[1] !== undefined)),
  REDIS_URL: 'redis://127.0.0.1:6379', QUEUE_NAME: `rate-profile-${randomUUID()}`, KAKAO_AUDIENCE: TEST_AUDIENCE, KAKAO_JWKS_URI: jwks.url,
  PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', BENCH_JWK: JSON.stringify(key.publicJwk),
  ...(values.target === 'floor-worker' ? { BENCH_FLOOR_WORKER: '1' } : {}),
};
const floor = values.target !== 'service';
const target = await spawnTarget(floor ? ['floor'] : ['service', values.role!], env, values.profile ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=200'] : []);
const workerProcess = values['worker-process'] ? await spawnTarget(['service', 'worker'], env) : undefined;
let next = 0;
const make = () => ({ ...setRequest(tokens[next++]!), ...(floor ? { path: '/floor-enqueue' } : {}) });
try {
  await steadyRate(target.url, { rate, seconds: 3, sockets: 64 }, make);
  const pid = target.child.pid!;
  const before = { target: cpuByThread(pid), redis: cpuByThread(redisPid), worker: workerProcess ? cpuByThread(workerProcess.child.pid!) : undefined };
  const http = await steadyRate(target.url, { rate, seconds, sockets: 64 }, make);
  const after = { target: cpuByThread(pid), redis: cpuByThread(redisPid), worker: workerProcess ? cpuByThread(workerProcess.child.pid!) : undefined };
  const per = (s: number) => Math.round((s / http.requests) * 1e6);
  console.log(`${floor ? values.target : `role ${values.role}`}, ${rate} SET/s for ${seconds} s: ack p50 ${http['p50 ms']} / p99 ${http['p99 ms']} / max ${http['max ms']} ms, non2xx ${http.non2xx + http.errors}`);
  console.log(`µs CPU per request: target main ${per(after.target.main - before.target.main)}, target other threads ${per(after.target.other - before.target.other)}, redis ${per(after.redis.main + after.redis.other - before.redis.main - before.redis.other)}, sender ${Math.round((http.senderCpu * 1e6) / rate)}${after.worker && before.worker ? `, worker process ${per(after.worker.main + after.worker.other - before.worker.main - before.worker.other)}` : ''}`);
} finally {
  await workerProcess?.stop();
  await target.stop();
  await jwks.close();
  const redis = new Redis(env.REDIS_URL!);
  await dropQueueKeys(redis, env.QUEUE_NAME!);
  redis.disconnect();
}
if (values.profile) {
  // The main thread's profile is the largest file (the others are worker threads of the loader).
  const file = readdirSync(dir).map((name) => join(dir, name)).sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
  console.log(`main thread by package, µs per request over the whole run (warm-up included, ${next} requests):`);
  for (const [part, us] of byPart(JSON.parse(readFileSync(file, 'utf8')), next)) console.log(`${us.toFixed(1).padStart(7)} µs  ${part}`);
}
rmSync(dir, { recursive: true, force: true });
