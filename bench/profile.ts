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

interface Profile { nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[]; samples: number[]; timeDeltas: number[] }

/** µs of self time per request by package (node_modules), our file, or node:internal module. */
function byPart(profile: Profile, requests: number): [string, number][] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const loading = (id: number) => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      if (/modules\/(cjs|esm)|cjs-module-lexer|tsx\/dist/.test(frame.url) || frame.functionName === 'compileForInternalLoader') return true;
    }
    return false;
  };
  const partOf = (id: number) => {
    const { url, functionName } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') return undefined;
    if (loading(id)) return undefined;
    if (functionName === '(garbage collector)') return 'GC';
    const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
    if (pkg) return pkg[1]!;
    const ours = /\/(src|bench)\/(.*)$/.exec(url);
    if (ours) return `${ours[1]}/${ours[2]}`;
    if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:').split('/')[0]!;
    return functionName || '(native)';
  };
  const totals = new Map<string, number>();
  profile.samples.forEach((id, index) => {
    const part = partOf(id);
    if (part) totals.set(part, (totals.get(part) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const busy = [...totals.values()].reduce((sum, us) => sum + us, 0);
  return [['main thread, busy (all below)', busy / requests] as [string, number], ...[...totals].map(([part, us]): [string, number] => [part, us / requests]).sort((a, b) => b[1] - a[1]).slice(0, 30)];
}
