/**
 * Where the CPU of one request goes, per process: the target (its main thread and libuv's thread
 * pool together), Redis, and the load generator, in µs per request, read from /proc while each
 * target is saturated. Profiles on a 2-core machine blur this: threads compete for the cores,
 * and a sampled thread that waits for one is charged to whatever it ran last.
 *
 *   npx tsx bench/cpu-per-request.ts [path filter]   (Redis at 127.0.0.1:6379, running as redis-server)
 */
import { execSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { cpuByThread } from './proc-cpu.js';
import { createTestKey, setClaims, signSet, startJwksServer, TEST_AUDIENCE } from '../test/helpers/kakao-transmitter.js';
import { LOGTO_KEY } from '../test/helpers/logto-signer.js';
import { Redis } from 'ioredis';
import { dropQueueKeys, load, logtoRequest, setRequest } from './more.js';
import { spawnTarget } from './spawn-target.js';

/** Context switches of a process and all its threads (voluntary and not): each wake-up of a thread costs one. */
const switches = (pid: number) =>
  readdirSync(`/proc/${pid}/task`).reduce((sum, tid) => {
    try {
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      return sum + Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)![1]) + Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)![1]);
    } catch {
      return sum;
    }
  }, 0);

/** utime + stime of a process and all its threads, in seconds. */
const cpuSeconds = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const redisPid = Number(execSync('pgrep -o redis-server').toString().trim());
const key = await createTestKey('bench-key');
const jwks = await startJwksServer([key]);
const tokens = await Promise.all(Array.from({ length: 20_000 }, () => signSet(key, setClaims())));
const env = {
  REDIS_URL: 'redis://127.0.0.1:6379', QUEUE_NAME: `cpu-${randomUUID()}`, KAKAO_AUDIENCE: TEST_AUDIENCE, KAKAO_JWKS_URI: jwks.url,
  LOGTO_SIGNING_KEYS: LOGTO_KEY, LOGTO_MAX_AGE_SECONDS: '0', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', BENCH_JWK: JSON.stringify(key.publicJwk), XLOG: process.env.XLOG ?? '',
};
const scenarios: [string[], string][] = [
  [['floor'], '/bare'], [['floor'], '/floor'], [['floor'], '/floor-enqueue'], [['service', 'receiver'], '/webhooks/kakao/account-status'],
  [['floor'], '/floor-logto-enqueue'], [['service', 'receiver'], '/webhooks/logto'],
];
const only = process.argv[2];
for (const [args, path] of scenarios.filter(([, path]) => !only || path.includes(only))) {
  const target = await spawnTarget(args, env);
  let i = 0;
  const before = { target: cpuSeconds(target.child.pid!), threads: cpuByThread(target.child.pid!), switches: switches(target.child.pid!), redis: cpuSeconds(redisPid), self: process.cpuUsage() };
  const make = path.includes('logto') ? () => ({ ...logtoRequest(), path }) : () => ({ ...setRequest(tokens[i++ % tokens.length]!), path });
  const result = await load(target.url, { connections: 16, seconds: 5 }, make);
  const self = process.cpuUsage(before.self);
  const per = (seconds: number) => Math.round((seconds / result.requests) * 1e6);
  const after = cpuByThread(target.child.pid!);
  const threads = `main thread ${per(after.main - before.threads.main)}, other threads ${per(after.other - before.threads.other)}`;
  console.log(`${path.padEnd(32)} ${String(result['req/s']).padStart(6)} req/s   µs CPU per request: target ${per(cpuSeconds(target.child.pid!) - before.target)} (${threads}; ${((switches(target.child.pid!) - before.switches) / result.requests).toFixed(2)} context switches), redis ${per(cpuSeconds(redisPid) - before.redis)}, load generator ${per((self.user + self.system) / 1e6)}`);
  await target.stop();
  // Every scenario adds jobs no worker takes: a Redis that grows by a million keys gets slower.
  const redis = new Redis(env.REDIS_URL);
  await dropQueueKeys(redis, env.QUEUE_NAME);
  redis.disconnect();
}
await jwks.close();
