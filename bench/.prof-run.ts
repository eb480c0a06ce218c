// Profiles the receiver under saturation: path filter as argv[2].
import { randomUUID } from 'node:crypto';
import { readdirSync, rmSync, mkdirSync } from 'node:fs';
import { createTestKey, setClaims, signSet, startJwksServer, TEST_AUDIENCE } from '../test/helpers/kakao-transmitter.js';
import { LOGTO_KEY } from '../test/helpers/logto-signer.js';
import { load, logtoRequest, setRequest } from '../bench/more.js';
import { spawnTarget } from '../bench/spawn-target.js';
const path = process.argv[2] ?? '/webhooks/kakao/account-status';
const dir = process.argv[3] ?? '/tmp/prof/out';
rmSync(dir, { recursive: true, force: true }); mkdirSync(dir, { recursive: true });
const key = await createTestKey('bench-key');
const jwks = await startJwksServer([key]);
const tokens = await Promise.all(Array.from({ length: 20_000 }, () => signSet(key, setClaims())));
const env = { REDIS_URL: 'redis://127.0.0.1:6379', QUEUE_NAME: `prof-${randomUUID()}`, KAKAO_AUDIENCE: TEST_AUDIENCE, KAKAO_JWKS_URI: jwks.url,
  LOGTO_SIGNING_KEYS: LOGTO_KEY, LOGTO_MAX_AGE_SECONDS: '0', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', BENCH_JWK: JSON.stringify(key.publicJwk) };
const args = path.startsWith('/webhooks') ? ['service', 'receiver'] : ['floor'];
const target = await spawnTarget(args, env, [`--cpu-prof`, `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=200']);
let i = 0;
const make = path.includes('logto') ? () => ({ ...logtoRequest(), path }) : () => ({ ...setRequest(tokens[i++ % tokens.length]!), path });
const w = await load(target.url, { connections: 16, seconds: 2 }, make);
const r = await load(target.url, { connections: 16, seconds: 6 }, make);
console.log(path, r, 'TOTAL_REQUESTS', w.requests + r.requests);
await target.stop(); await jwks.close();
console.log(readdirSync(dir).map((f) => `${dir}/${f}`).join('\n'));
