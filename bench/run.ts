/**
 * npm run bench: how fast the receiver acknowledges webhooks, over real HTTP, on each store that
 * answers here (Redis, PostgreSQL, the embedded PGlite), with signed requests made up front; then
 * how fast sessions are checked, through the account API and through the client's session guard.
 * Prints one table per run; compare ratios within one run, not across machines.
 *
 * Usage: npm run bench [-- --seconds 5 --connections 16 --stores redis,postgres,embedded --users 5000]
 */
import autocannon from 'autocannon';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { BackendKind } from '../src/queue/backend.js';
import { startService } from '../src/service.js';
import { BACKENDS, openTestBackend } from '../test/helpers/backends.js';
import { ADMIN_ENV, ADMIN_KEY, channelBody, resourceId } from '../test/helpers/kakao-admin.js';
import { createTestKey, setClaims, signSet, startJwksServer } from '../test/helpers/kakao-transmitter.js';
import { LOGTO_KEY, signLogto, userDataUpdated } from '../test/helpers/logto-signer.js';
import { testConfig } from '../test/helpers/test-config.js';
import { benchSessionChecks } from './session-checks.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '16' },
    stores: { type: 'string', default: BACKENDS.join(',') },
    users: { type: 'string', default: '5000' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const stores = values.stores!.split(',') as BackendKind[];

const key = await createTestKey('bench-key');
const jwks = await startJwksServer([key]);
// Distinct signed tokens, so that each request is a new event (redeliveries are cheaper).
const tokens = await Promise.all(Array.from({ length: 20_000 }, () => signSet(key, setClaims())));
let next = 0;
const freshToken = () => tokens[next++ % tokens.length]!;

interface Row { store: string; scenario: string; requests: number; 'req/s': number; 'p50 ms': number; 'p99 ms': number; non2xx: number; jobs: number }
const rows: Row[] = [];

type Request = { path: string; method?: 'GET' | 'POST'; headers: Record<string, string>; body?: string };

for (const kind of stores) {
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

  // A service of its own (role all, account API on): the receiver above answered webhooks only.
  for (const row of await benchSessionChecks(store, { users: Number(values.users), seconds, connections })) rows.push({ store: kind, ...row, jobs: 0 });
  await store.close();
}
await jwks.close();

console.log(`\nWebhook acknowledgement over HTTP, ${seconds} s per scenario, receiver role only (no worker competing);`);
console.log(`session checks on ${values.users} seeded users: via API over HTTP (${connections} connections), via guard in process after warm-up (one check at a time)\n`);
console.table(rows);
const reference = rows.find((row) => row.store === stores[0] && row.scenario.startsWith(`Kakao SET, ${connections}`))!;
console.log(`\nthroughput relative to ${reference.store} "${reference.scenario}" (${reference['req/s']} req/s):`);
for (const row of rows) console.log(`  ${row.store.padEnd(9)} ${row.scenario.padEnd(42)} ${(row['req/s'] / reference['req/s']).toFixed(2)}x`);
console.log(`\n"jobs" counts new jobs per scenario. SET scenarios cycle through ${tokens.length} signed tokens, so once a store has seen them all they are redeliveries and add none; refusals add none.`);
console.log(`receiver process RSS at the end: ${Math.round(process.memoryUsage().rss / 1024 / 1024)} MiB`);
