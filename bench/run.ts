/**
 * npm run bench: how fast the receiver acknowledges webhooks, over real HTTP, on each store that
 * answers here (Redis, PostgreSQL, the embedded PGlite), with signed requests made up front; then
 * how fast sessions are checked, through the account API and through the client's session guard.
 * Prints one table per run; compare ratios within one run, not across machines.
 *
 * Then, on Redis: the SET and Logto paths against a bare Fastify route and "floor" routes that do
 * part of their work (bench/ratios.ts), --runs N times, scenarios interleaved in --slices slices of
 * --slice-seconds each; latency at a fixed rate and end to end to the
 * handlers; worker throughput; Redis memory per retained event; start-up time and idle RSS of
 * `npm start` per store. Figures also go to bench/results/latest.json.
 *
 * Section topologies (bench/topologies.ts) needs no Redis on 6379: it starts a single node, Sentinel
 * (1 master + 1 replica) and a 3-master cluster of its own from Debian's redis-server and
 * redis-sentinel, and measures the SET path on each (Sentinel with REDIS_WAIT_REPLICAS=1 and =0) at
 * saturation and at --rate, --runs N times, so that the cost of each guarantee is known.
 *
 * Section hostile (bench/hostile.ts) attacks a service started as npm start starts it, on Redis,
 * with every limit at its default: pipelined floods, slow bodies, forged SETs with unknown kids,
 * stalled change feed streams, idle connections; the service's RSS and a signed webhook's latency
 * meanwhile.
 *
 * Usage: npm run bench [-- --seconds 5 --connections 16 --stores redis,postgres,embedded --users 5000
 *                          --runs 3 --slices 5 --slice-seconds 1
 *                          --only stores,ratios,rate,worker,memory,topologies,startup,hostile
 *                          --rate 1000 --worker-events 20000 --memory-events 100000
 *                          --hostile-attacks pipelined,slow,kid,feed,slots --probe-rate 20
 *                          --pipelined 5000 --pipelined-sockets 1,20,100 --slow-connections 150
 *                          --kid-rate 500 --kid-seconds 5 --feed-rate 2000 --feed-seconds 20
 *                          --feed-users 50 --feed-unbounded true --slot-connections 300 --slot-seconds 5]
 * --runs applies to ratios, rate, topologies and the embedded store's starts; --rate to rate and topologies.
 */
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { BackendKind } from '../src/queue/backend.js';
import { startService } from '../src/service.js';
import { BACKENDS, openTestBackend, TEST_DATABASE_URL, TEST_REDIS_URL } from '../test/helpers/backends.js';
import { ADMIN_ENV, ADMIN_KEY, channelBody, resourceId } from '../test/helpers/kakao-admin.js';
import { createTestKey, setClaims, signSet, startJwksServer, TEST_AUDIENCE } from '../test/helpers/kakao-transmitter.js';
import { LOGTO_KEY, signLogto, userDataUpdated } from '../test/helpers/logto-signer.js';
import { testConfig } from '../test/helpers/test-config.js';
import { spawnTarget } from './spawn-target.js';
import { Redis } from 'ioredis';
import { dropQueueKeys, fixedRate, RATE_REFERENCES, steadyReference, load, logtoRequest, memoryPerEvent, setRequest, urlOf, workerThroughput, type Load } from './more.js';
import { benchSessionChecks } from './session-checks.js';
import { ratioRun, ratioTable, type RatioRun } from './ratios.js';
import { measureStart, type StartupRow } from './startup.js';
import type { SteadyResult } from './steady-rate.js';
import { benchHostile, HOSTILE_ATTACKS, type HostileAttack } from './hostile.js';
import { benchTopologies, missingRedisProgram, SATURATION_WARMUP_SECONDS, STEADY_WARMUP_SECONDS, topologyTables, type TopologyRun } from './topologies.js';

/** Deletes every key of a bench queue on the test Redis, dedupe keys included. */
async function dropRedisQueue(name: string) {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    await dropQueueKeys(redis, name);
  } finally {
    redis.disconnect();
  }
}

const SECTIONS = ['stores', 'ratios', 'rate', 'worker', 'memory', 'topologies', 'startup', 'hostile'] as const;
const benchStarted = performance.now();

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '16' },
    stores: { type: 'string', default: BACKENDS.join(',') },
    users: { type: 'string', default: '5000' },
    runs: { type: 'string', default: '1' },
    slices: { type: 'string', default: '5' },
    'slice-seconds': { type: 'string', default: '1' },
    only: { type: 'string', default: SECTIONS.join(',') },
    rate: { type: 'string', default: '1000' },
    'worker-events': { type: 'string', default: '20000' },
    'memory-events': { type: 'string', default: '100000' },
    'hostile-attacks': { type: 'string', default: HOSTILE_ATTACKS.join(',') },
    'probe-rate': { type: 'string', default: '20' },
    pipelined: { type: 'string', default: '5000' },
    'pipelined-sockets': { type: 'string', default: '1,20,100' },
    'slow-connections': { type: 'string', default: '150' },
    'kid-rate': { type: 'string', default: '500' },
    'kid-seconds': { type: 'string', default: '5' },
    'feed-rate': { type: 'string', default: '2000' },
    'feed-seconds': { type: 'string', default: '20' },
    'feed-users': { type: 'string', default: '50' },
    'feed-unbounded': { type: 'string', default: 'true' },
    'slot-connections': { type: 'string', default: '300' },
    'slot-seconds': { type: 'string', default: '5' },
  },
});
const only = new Set(values.only!.split(','));
for (const section of only) if (!(SECTIONS as readonly string[]).includes(section)) throw new Error(`--only: unknown section "${section}"; known: ${SECTIONS.join(',')}`);
const runs = Number(values.runs);
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const stores = values.stores!.split(',') as BackendKind[];

const key = await createTestKey('bench-key');
const jwks = await startJwksServer([key]);
// Distinct signed tokens, so that each request is a new event (redeliveries are cheaper). The
// hostile section alone needs only a few thousand (its probe sends 20 a second).
const tokenCount = ['stores', 'ratios', 'rate', 'worker', 'topologies'].some((section) => only.has(section)) ? 20_000 : 3_000;
const tokens = await Promise.all(Array.from({ length: tokenCount }, () => signSet(key, setClaims())));
let next = 0;
const freshToken = () => tokens[next++ % tokens.length]!;

interface Row { store: string; scenario: string; requests: number; 'req/s': number; 'p50 ms': number; 'p99 ms': number; non2xx: number; jobs: number }
const rows: Row[] = [];

type Request = { path: string; method?: 'GET' | 'POST'; headers: Record<string, string>; body?: string };

for (const kind of only.has('stores') ? stores : []) {
  const store = await openTestBackend(kind);
  const config = testConfig({ ...store.env, KAKAO_JWKS_URI: jwks.url, LOG_LEVEL: 'silent', LOGTO_SIGNING_KEYS: LOGTO_KEY, LOGTO_MAX_AGE_SECONDS: '0', ...ADMIN_ENV });
  const service = await startService(config, { role: 'receiver', logger: pino({ level: 'silent' }), backend: store.backend });
  const base = `http://127.0.0.1:${(service.app.server.address() as { port: number }).port}`;
  const inspect = store.backend.createQueue(config.queue.name, {});

  async function run(scenario: string, conns: number, request: () => Request) {
    const before = await inspect.getJobCountByTypes('waiting', 'completed', 'failed', 'delayed', 'active');
    const result = await autocannon({
      url: base,
      connections: conns,
      duration: seconds,
      requests: [
        {
          setupRequest: (req) => {
            const made = request();
            return { ...req, ...made, method: made.method ?? 'POST' };
          },
        },
      ],
    });
    const after = await inspect.getJobCountByTypes('waiting', 'completed', 'failed', 'delayed', 'active');
    rows.push({
      store: kind,
      scenario,
      requests: result.requests.total,
      'req/s': Math.round(result.requests.average),
      'p50 ms': result.latency.p50,
      'p99 ms': result.latency.p99,
      non2xx: result.non2xx,
      jobs: after - before,
    });
  }

  const set = (): Request => ({ path: '/webhooks/kakao/account-status', headers: { 'content-type': 'application/secevent+jwt' }, body: freshToken() });
  await run('Kakao SET, 1 connection', 1, set);
  await run(`Kakao SET, ${connections} connections`, connections, set);
  if (kind === stores[0]) {
    const same = tokens[0]!;
    await run(`Kakao SET redelivered, ${connections} connections`, connections, () => ({ ...set(), body: same }));
    await run(`Kakao SET bad signature, ${connections} connections`, connections, () => ({ ...set(), body: `${same.slice(0, -4)}AAAA` }));
    await run(`Logto, ${connections} connections`, connections, () => {
      const body = JSON.stringify(userDataUpdated({ userId: `u-${next++}` }));
      return { path: '/webhooks/logto', headers: { 'content-type': 'application/json', 'logto-signature-sha-256': signLogto(LOGTO_KEY, body) }, body };
    });
    await run(`Kakao Talk Channel, ${connections} connections`, connections, () => ({
      path: '/webhooks/kakao/talk-channel',
      headers: { 'content-type': 'application/json', authorization: `KakaoAK ${ADMIN_KEY}`, 'x-kakao-resource-id': resourceId() },
      body: JSON.stringify(channelBody()),
    }));
  }

  await inspect.obliterate({ force: true }).catch(() => {});
  await inspect.close();
  await service.close();
  if (kind === 'redis') await dropRedisQueue(config.queue.name); // obliterate leaves the 7-day dedupe keys

  // A service of its own (role all, account API on): the receiver above answered webhooks only.
  for (const row of await benchSessionChecks(store, { users: Number(values.users), seconds, connections })) rows.push({ store: kind, ...row, jobs: 0 });
  await store.close();
}

const results: Record<string, unknown> = { argv: process.argv.slice(2), startedAt: new Date().toISOString(), cpus: (await import('node:os')).cpus().length };
const storeEnv = (store: Awaited<ReturnType<typeof openTestBackend>>) => testConfig({ ...store.env, KAKAO_JWKS_URI: jwks.url, LOG_LEVEL: 'silent', LOGTO_SIGNING_KEYS: LOGTO_KEY, LOGTO_MAX_AGE_SECONDS: '0', ...ADMIN_ENV });
const needsRedis = ['ratios', 'rate', 'worker', 'memory'].some((section) => only.has(section));
const redisStore = needsRedis ? (BACKENDS.includes('redis') ? await openTestBackend('redis') : undefined) : undefined;
if (needsRedis && !redisStore) console.log('Redis does not answer on 127.0.0.1:6379: the ratio, rate, worker and memory sections are skipped');

/** npm start's environment for a bench target on the test Redis, with its own queue. */
const targetEnv = (extra: Record<string, string> = {}) => ({
  REDIS_URL: TEST_REDIS_URL,
  QUEUE_NAME: `bench-${randomUUID()}`,
  KAKAO_AUDIENCE: TEST_AUDIENCE,
  KAKAO_JWKS_URI: jwks.url,
  LOGTO_SIGNING_KEYS: LOGTO_KEY,
  LOGTO_MAX_AGE_SECONDS: '0',
  PORT: '0',
  HOST: '127.0.0.1',
  // npm start's default level: the cost of its log lines is part of the figure.
  LOG_LEVEL: 'info',
  BENCH_JWK: JSON.stringify(key.publicJwk),
  ...extra,
});
const ratioRuns: RatioRun[] = [];
let ratioRows: Record<string, unknown>[] = [];
if (only.has('ratios') && redisStore) {
  const slices = Number(values.slices);
  const sliceSeconds = Number(values['slice-seconds']);
  for (let run = 0; run < runs; run += 1) {
    ratioRuns.push(await ratioRun(tokens, { connections, slices, sliceSeconds, env: () => targetEnv(), dropQueue: dropRedisQueue }));
    console.error(`ratios: run ${run + 1} of ${runs} done`);
  }
  ratioRows = ratioTable(ratioRuns, connections);
  results.ratios = { connections, slices, sliceSeconds, runs: ratioRuns, table: ratioRows };
}

type RateRun = Awaited<ReturnType<typeof fixedRate>>;
const rateRuns: RateRun[] = [];
const rateReferences: Record<string, SteadyResult[]> = {};
if (only.has('rate') && redisStore) {
  for (let run = 0; run < runs; run += 1) {
    const env = targetEnv();
    rateRuns.push(await fixedRate(env, tokens, { seconds, rate: Number(values.rate), connections }));
    await dropRedisQueue(env.QUEUE_NAME);
    for (const reference of RATE_REFERENCES) {
      const referenceEnv = targetEnv();
      (rateReferences[reference.name] ??= []).push(await steadyReference(reference, referenceEnv, tokens, { seconds, rate: Number(values.rate), connections }));
      await dropRedisQueue(referenceEnv.QUEUE_NAME);
    }
    console.error(`rate: run ${run + 1} of ${runs} done`);
  }
  results.fixedRate = { rate: Number(values.rate), connections, role: 'all', store: 'redis', runs: rateRuns, references: rateReferences };
}
if (only.has('worker') && redisStore) {
  results.worker = await workerThroughput(redisStore, storeEnv(redisStore), tokens, { count: Number(values['worker-events']), connections });
}
if (only.has('memory') && redisStore) {
  results.memory = await memoryPerEvent(redisStore, storeEnv(redisStore), Number(values['memory-events']));
}
await redisStore?.close();

let topologyTable: ReturnType<typeof topologyTables> | undefined;
if (only.has('topologies')) {
  const missing = missingRedisProgram();
  if (missing) console.log(`${missing} does not run here: the topologies section is skipped (Debian: apt-get install redis-server redis-sentinel)`);
  else {
    // Enough distinct tokens that a saturation run (warm-up included) at up to 8,000 req/s meets
    // no redelivery on its fresh queue; the count of any is in the results.
    const wanted = Math.max((seconds + SATURATION_WARMUP_SECONDS) * 8_000, (seconds + STEADY_WARMUP_SECONDS) * Number(values.rate));
    const pool = [...tokens, ...(await Promise.all(Array.from({ length: Math.max(0, wanted - tokens.length) }, () => signSet(key, setClaims()))))];
    const { REDIS_URL: _testRedis, ...common } = targetEnv();
    const runsOf: TopologyRun[] = await benchTopologies((redis) => ({ ...common, QUEUE_NAME: `bench-${randomUUID()}`, ...redis }), pool, { seconds, connections, rate: Number(values.rate), runs }, (line) => console.error(line));
    topologyTable = topologyTables(runsOf);
    results.topologies = { connections, seconds, rate: Number(values.rate), runs, tokens: pool.length, role: 'receiver', logLevel: 'info', results: runsOf, table: topologyTable };
  }
}

const startupRows: StartupRow[] = [];
if (only.has('startup')) {
  const common = { KAKAO_AUDIENCE: 'bench-audience', KAKAO_JWKS_URI: jwks.url, LOGTO_SIGNING_KEYS: LOGTO_KEY, LOG_LEVEL: 'warn' };
  if (BACKENDS.includes('redis')) startupRows.push(await measureStart({ store: 'redis', start: 'first', env: { ...common, REDIS_URL: TEST_REDIS_URL } }));
  if (BACKENDS.includes('postgres')) startupRows.push(await measureStart({ store: 'postgres', start: 'first', env: { ...common, DATABASE_URL: TEST_DATABASE_URL } }));
  // The embedded store's starts vary most (WebAssembly compiled on start, a database made from
  // the template on a new directory): each is measured --runs times, each run on a new directory.
  for (let run = 1; run <= runs; run += 1) {
    const dataDir = mkdtempSync(join(tmpdir(), 'bench-embedded-'));
    try {
      startupRows.push(await measureStart({ store: 'embedded', start: `new DATA_DIR (run ${run})`, env: { ...common, DATA_DIR: dataDir } }));
      startupRows.push(await measureStart({ store: 'embedded', start: `existing DATA_DIR (run ${run})`, env: { ...common, DATA_DIR: dataDir } }));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  results.startup = startupRows;
}

let hostile: Awaited<ReturnType<typeof benchHostile>> | undefined;
if (only.has('hostile')) {
  if (!BACKENDS.includes('redis')) console.log('Redis does not answer on 127.0.0.1:6379: the hostile section is skipped');
  else {
    const attacks = values['hostile-attacks']!.split(',') as HostileAttack[];
    for (const attack of attacks) if (!HOSTILE_ATTACKS.includes(attack)) throw new Error(`--hostile-attacks: unknown attack "${attack}"; known: ${HOSTILE_ATTACKS.join(',')}`);
    hostile = await benchHostile({
      key,
      probeTokens: tokens,
      env: (extra) => targetEnv(extra),
      dropQueue: dropRedisQueue,
      attacks,
      probeRate: Number(values['probe-rate']),
      pipelined: Number(values.pipelined),
      pipelinedSockets: values['pipelined-sockets']!.split(',').map(Number),
      slowConnections: Number(values['slow-connections']),
      kidRate: Number(values['kid-rate']),
      kidSeconds: Number(values['kid-seconds']),
      feedRate: Number(values['feed-rate']),
      feedSeconds: Number(values['feed-seconds']),
      feedUsers: Number(values['feed-users']),
      feedUnbounded: values['feed-unbounded'] !== 'false',
      slotConnections: Number(values['slot-connections']),
      slotSeconds: Number(values['slot-seconds']),
      progress: (line) => console.error(line),
    });
    results.hostile = { probeRate: Number(values['probe-rate']), role: 'receiver (change feed: all)', logLevel: 'info', ...hostile };
  }
}
await jwks.close();

if (rows.length > 0) {
console.log(`\nWebhook acknowledgement over HTTP, ${seconds} s per scenario, receiver role only (no worker competing);`);
console.log(`session checks on ${values.users} seeded users: via API over HTTP (${connections} connections), via guard in process after warm-up (one check at a time)\n`);
console.table(rows);
const reference = rows.find((row) => row.store === stores[0] && row.scenario.startsWith(`Kakao SET, ${connections}`))!;
console.log(`\nthroughput relative to ${reference.store} "${reference.scenario}" (${reference['req/s']} req/s):`);
for (const row of rows) console.log(`  ${row.store.padEnd(9)} ${row.scenario.padEnd(42)} ${(row['req/s'] / reference['req/s']).toFixed(2)}x`);
console.log(`\n"jobs" counts new jobs per scenario. SET scenarios cycle through ${tokens.length} signed tokens, so once a store has seen them all they are redeliveries and add none; refusals add none.`);
console.log(`receiver process RSS at the end: ${Math.round(process.memoryUsage().rss / 1024 / 1024)} MiB`);
results.stores = rows;
}

if (ratioRows.length > 0) {
  console.log(`\nSaturation on Redis (receiver role, LOG_LEVEL=info) vs the reference routes, each target in a process of its own, ${connections} connections; each run interleaves ${values.slices} slices of ${values['slice-seconds']} s per scenario after a warm-up slice; req/s and ratios min / median / max over ${runs} run(s):`);
  console.table(ratioRows);
}
if (rateRuns.length > 0) {
  console.log(`\nKakao SET at a steady ${values.rate} req/s (open loop, latency from when each request was due), receiver and worker in one process (role all) on Redis, ${seconds} s after a 3 s warm-up, per run; drain: from the last request to the last acknowledged event handled; stalls: the target's event-loop delay and GC pauses of 5 ms or more:`);
  console.table(rateRuns.map((run, index) => ({
    run: index + 1,
    'ack p50 ms': run.http['p50 ms'],
    'ack p99 ms': run.http['p99 ms'],
    'ack max ms': run.http['max ms'],
    'p99 <= 10 ms': run.http['p99 ms'] <= 10,
    non2xx: run.http.non2xx + run.http.errors,
    'handled p99 ms': run.e2e['p99 ms'],
    'drain s': run.drainSeconds,
    'drained <= 3 s': run.drainSeconds <= 3,
    'event loop busy': run.stalls.eventLoopBusy,
    'loop delay max ms': run.stalls.loopDelayMaxMs,
    'GC pauses >= 5 ms: count, longest': `${run.stalls.gcPausesOver5Ms.length}, ${Math.max(0, ...run.stalls.gcPausesOver5Ms.map((gc) => gc.ms))} ms`,
    'GC total ms': run.stalls.gcTotalMs,
    'worst acknowledgement, likely cause': run.worstStall,
    'sender CPU': run.http.senderCpu,
  })));
  console.log(`\nThe same load on reference targets, same runs: what each part of role all costs the acknowledgement (p99 ms per run; the floor routes take the same signed SETs, verify them and store a minimal job):`);
  const p99s = (results: SteadyResult[]) => results.map((result) => result['p99 ms']);
  console.table([
    { target: 'service, role all (above)', 'p99 ms per run': p99s(rateRuns.map((run) => run.http)).join(' / '), 'runs with p99 <= 10 ms': rateRuns.filter((run) => run.http['p99 ms'] <= 10).length },
    ...Object.entries(rateReferences).map(([name, results]) => ({ target: name, 'p99 ms per run': p99s(results).join(' / '), 'runs with p99 <= 10 ms': results.filter((result) => result['p99 ms'] <= 10).length })),
  ]);
}
if (results.worker) {
  console.log(`\nWorker throughput, built-in handlers, worker-only service on Redis after the receiver queued the events:`);
  const { enqueue, ...worker } = results.worker as Awaited<ReturnType<typeof workerThroughput>>;
  console.table({ ...worker, 'enqueue req/s': enqueue['req/s'], 'enqueue non2xx': enqueue.non2xx });
}
if (results.memory) {
  console.log(`\nRedis memory per waiting event (no worker; job hash + dedupe key + list entry):`);
  console.table(results.memory);
}
if (topologyTable) {
  console.log(`\nKakao SET on Redis topologies the bench started (same redis-server, no persistence), receiver role (LOG_LEVEL=info) in a process of its own, ${runs} run(s):`);
  console.log(`at saturation: ${connections} connections, ${seconds} s after a ${SATURATION_WARMUP_SECONDS} s warm-up (min / median / max over runs):`);
  console.table(topologyTable.saturation);
  console.log('throughput ratios at saturation, each within one run (min / median / max over runs):');
  console.table(topologyTable.ratios);
  console.log(`at a steady rate (open loop, latency from when each request was due), a fresh receiver and queue, ${seconds} s after a ${STEADY_WARMUP_SECONDS} s warm-up ("lowered": the topology's saturation was under 1.2x --rate; "held": it kept up):`);
  console.table(topologyTable.steady);
  console.log('per run:');
  console.table(topologyTable.perRun);
}
if (startupRows.length > 0) {
  console.log(`\nnpm start per store: spawn -> GET /healthz 200, then the RSS of what npm started after 5 s idle (npm's own process apart):`);
  console.table(startupRows);
}
if (hostile && hostile.rows.length > 0) {
  console.log(`\nHostile traffic: each attack against a fresh service started as npm start does (node dist/main.js, every limit at its default, LOG_LEVEL=info), receiver role on Redis (change feed: role all); its RSS (peak: VmHWM); a signed Kakao SET ${values['probe-rate']} times a second on connections of its own (connection slots: a new connection each), over 1 s before the attack and while it runs:`);
  console.table(hostile.rows.map(({ sends: _sends, outcome: _outcome, ...row }) => row));
  console.log('what each attack sent, and what became of it:');
  for (const row of hostile.rows) console.log(`  ${row.attack}\n    sends:   ${row.sends}\n    outcome: ${row.outcome}`);
}
results.totalSeconds = Number(((performance.now() - benchStarted) / 1000).toFixed(1));
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/latest.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
console.log(`\ntotal ${results.totalSeconds} s; figures written to bench/results/latest.json`);
