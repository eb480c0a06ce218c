/**
 * A CPU profile of one bench target at saturation, summed by package: µs of the main thread per
 * request for each package or node:internal module, idle and module loading left out. Profile the
 * receiver and a floor route the same way and compare them, to see what the receiver adds.
 *
 *   npx tsx bench/profile.ts /webhooks/kakao/account-status   (the receiver, Redis on 6379)
 *   npx tsx bench/profile.ts /floor-enqueue                    (a route of bench/floor.ts)
 *
 * On a 2-core machine, time the main thread spends waiting for a core after it woke a pool
 * thread is charged to what it ran last (node:crypto's verify, a write): read those lines with
 * bench/cpu-per-request.ts's context switches beside them.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createTestKey, setClaims, signSet, startJwksServer, TEST_AUDIENCE } from '../test/helpers/kakao-transmitter.js';
import { LOGTO_KEY } from '../test/helpers/logto-signer.js';
import { byPart } from './profile-parts.js';
import { dropQueueKeys, load, logtoRequest, setRequest } from './more.js';
import { spawnTarget } from './spawn-target.js';

const path = process.argv[2] ?? '/webhooks/kakao/account-status';
const dir = mkdtempSync(join(tmpdir(), 'bench-profile-'));
const key = await createTestKey('bench-key');
const jwks = await startJwksServer([key]);
const tokens = await Promise.all(Array.from({ length: 20_000 }, () => signSet(key, setClaims())));
const env = {
  REDIS_URL: 'redis://127.0.0.1:6379', QUEUE_NAME: `profile-${randomUUID()}`, KAKAO_AUDIENCE: TEST_AUDIENCE, KAKAO_JWKS_URI: jwks.url,
  LOGTO_SIGNING_KEYS: LOGTO_KEY, LOGTO_MAX_AGE_SECONDS: '0', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', BENCH_JWK: JSON.stringify(key.publicJwk),
};
const target = await spawnTarget(path.startsWith('/webhooks') ? ['service', 'receiver'] : ['floor'], env, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=200']);
let i = 0;
const make = path.includes('logto') ? () => ({ ...logtoRequest(), path }) : () => ({ ...setRequest(tokens[i++ % tokens.length]!), path });
const warm = await load(target.url, { connections: 16, seconds: 2 }, make);
const measured = await load(target.url, { connections: 16, seconds: 6 }, make);
await target.stop();
await jwks.close();
const redis = new Redis(env.REDIS_URL);
await dropQueueKeys(redis, env.QUEUE_NAME);
redis.disconnect();

// The main thread's profile is the largest file (the others are worker threads of the loader).
const file = readdirSync(dir).map((name) => join(dir, name)).sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
const requests = warm.requests + measured.requests;
console.log(`${path}: ${measured['req/s']} req/s; ${requests} requests profiled`);
for (const [part, us] of byPart(JSON.parse(readFileSync(file, 'utf8')), requests)) console.log(`${us.toFixed(1).padStart(7)} µs  ${part}`);
rmSync(dir, { recursive: true, force: true });
