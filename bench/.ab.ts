// A/B: two receivers at once, slices interleaved. usage: tsx bench/.ab.ts <path> '<envA json>' '<envB json>' [rootB] [rounds]
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { createTestKey, setClaims, signSet, startJwksServer, TEST_AUDIENCE } from '../test/helpers/kakao-transmitter.js';
import { LOGTO_KEY } from '../test/helpers/logto-signer.js';
import { load, logtoRequest, setRequest, dropQueueKeys } from './more.js';
import { Redis } from 'ioredis';
const [path, a, b, rootB, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 10);
const key = await createTestKey('bench-key');
const jwks = await startJwksServer([key]);
const tokens = await Promise.all(Array.from({ length: 40_000 }, () => signSet(key, setClaims())));
const base = { REDIS_URL: 'redis://127.0.0.1:6379', KAKAO_AUDIENCE: TEST_AUDIENCE, KAKAO_JWKS_URI: jwks.url, LOGTO_SIGNING_KEYS: LOGTO_KEY, LOGTO_MAX_AGE_SECONDS: '0', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', BENCH_JWK: JSON.stringify(key.publicJwk) };
async function start(root: string, env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/target.ts', 'service', 'receiver'], { cwd: root, env: { PATH: process.env.PATH!, MALLOC_ARENA_MAX: '1', MALLOC_MMAP_THRESHOLD_: '131072', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await new Promise<string>((resolve) => { let e = ''; child.stderr!.on('data', (c) => { e += c; const m = /^\{"url":.*\}$/m.exec(e); if (m) resolve(JSON.parse(m[0]).url); }); });
  return { child, url };
}
const qa = `ab-${randomUUID()}`, qb = `ab-${randomUUID()}`;
const A = await start('/work/main', { ...base, QUEUE_NAME: qa, ...JSON.parse(a!) });
const B = await start(rootB || '/work/main', { ...base, QUEUE_NAME: qb, ...JSON.parse(b!) });
let i = 0;
const make = path!.includes('logto') ? () => ({ ...logtoRequest(), path: path! }) : () => ({ ...setRequest(tokens[i++ % tokens.length]!), path: path! });
const slice = (url: string) => load(url, { connections: 16, seconds: 1 }, make);
await slice(A.url); await slice(B.url); await slice(A.url); await slice(B.url);
let ra = 0, rb = 0; const ratios: number[] = [];
for (let r = 0; r < rounds; r++) {
  const x = r % 2 === 0 ? [A, B] : [B, A];
  const one = await slice(x[0]!.url); const two = await slice(x[1]!.url);
  const [sa, sb] = r % 2 === 0 ? [one.requests, two.requests] : [two.requests, one.requests];
  ra += sa; rb += sb; ratios.push(sb / sa);
}
ratios.sort((p, q) => p - q);
console.log(`${path} A ${Math.round(ra / rounds)} req/s, B ${Math.round(rb / rounds)} req/s, B/A ${(rb / ra).toFixed(3)} (per-round median ${ratios[Math.floor(rounds / 2)]!.toFixed(3)}, min ${ratios[0]!.toFixed(3)}, max ${ratios.at(-1)!.toFixed(3)})`);
A.child.kill('SIGTERM'); B.child.kill('SIGTERM');
const redis = new Redis('redis://127.0.0.1:6379'); await dropQueueKeys(redis, qa); await dropQueueKeys(redis, qb); redis.disconnect();
await jwks.close();
process.exit(0);
