/**
 * A CPU profile of the worker alone, draining a backlog: SETs are queued through a receiver
 * first, then a worker-only service (its own process, --cpu-prof) handles them with the built-in
 * handlers. Prints µs of the worker's main thread per event by package, and the drain rate.
 *
 *   npx tsx bench/worker-profile.ts [--events 20000]      (Redis at 127.0.0.1:6379)
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { createTestKey, setClaims, signSet, startJwksServer, TEST_AUDIENCE } from '../test/helpers/kakao-transmitter.js';
import { dropQueueKeys, load, setRequest } from './more.js';
import { byPart } from './profile-parts.js';
import { spawnTarget } from './spawn-target.js';

const { values } = parseArgs({ options: { events: { type: 'string', default: '20000' }, 'no-profile': { type: 'boolean', default: false } } });
const count = Number(values.events);
const key = await createTestKey('bench-key');
const jwks = await startJwksServer([key]);
const tokens = await Promise.all(Array.from({ length: count }, () => signSet(key, setClaims())));
const dir = mkdtempSync(join(tmpdir(), 'bench-worker-profile-'));
const env: Record<string, string> = {
  ...Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => /^WORKER_/.test(entry[0]) && entry[1] !== undefined)),
  REDIS_URL: 'redis://127.0.0.1:6379', QUEUE_NAME: `worker-profile-${randomUUID()}`, KAKAO_AUDIENCE: TEST_AUDIENCE, KAKAO_JWKS_URI: jwks.url,
  PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info',
};
const redis = new Redis(env.REDIS_URL!);
const waiting = () => redis.llen(`{bull}:${env.QUEUE_NAME}:wait`);
try {
  const receiver = await spawnTarget(['service', 'receiver'], env);
  let next = 0;
  await load(receiver.url, { connections: 16, amount: count }, () => setRequest(tokens[next++]!));
  await receiver.stop();
  const queued = await waiting();
  const worker = await spawnTarget(['service', 'worker'], env, !values['no-profile'] ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=200'] : []);
  const started = performance.now();
  while ((await waiting()) > 0 || (await redis.llen(`{bull}:${env.QUEUE_NAME}:active`)) > 0) await sleep(20);
  const seconds = (performance.now() - started) / 1000;
  await worker.stop();
  console.log(`${queued} events handled in ${seconds.toFixed(2)} s: ${Math.round(queued / seconds)} events/s`);
  if (!values['no-profile']) {
    const file = readdirSync(dir).map((name) => join(dir, name)).sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
    for (const [part, us] of byPart(JSON.parse(readFileSync(file, 'utf8')), queued)) console.log(`${us.toFixed(1).padStart(7)} µs  ${part}`);
  }
} finally {
  await jwks.close();
  await dropQueueKeys(redis, env.QUEUE_NAME!);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
}
