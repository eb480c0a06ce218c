/**
 * npm run bench: how fast the receiver acknowledges webhooks, measured over real HTTP against
 * the real Redis, with signed tokens made up front. Prints one table; ratios are within one run.
 *
 * Usage: npm run bench [-- --seconds 5 --connections 16]
 */
import autocannon from 'autocannon';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { startService } from '../src/service.js';
import { testConfig } from '../test/helpers/test-config.js';
import { createTestKey, setClaims, signSet, startJwksServer } from '../test/helpers/kakao-transmitter.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, connections: { type: 'string', default: '16' } } });
const seconds = Number(values.seconds);
const connections = Number(values.connections);

const key = await createTestKey('bench-key');
const jwks = await startJwksServer([key]);
const config = testConfig({ KAKAO_JWKS_URI: jwks.url, LOG_LEVEL: 'silent' });
const service = await startService(config, { role: 'receiver', logger: pino({ level: 'silent' }) });
const port = (service.app.server.address() as { port: number }).port;
const url = `http://127.0.0.1:${port}/webhooks/kakao/account-status`;

// Enough distinct tokens that every request is a new event (redeliveries would be cheaper).
const tokens = await Promise.all(Array.from({ length: 20_000 }, () => signSet(key, setClaims())));
let next = 0;

interface Row { scenario: string; requests: number; rps: number; p50: number; p99: number; non2xx: number }
const rows: Row[] = [];

async function run(scenario: string, opts: { connections: number; body: () => string; path?: string }) {
  const result = await autocannon({
    url: opts.path ?? url,
    method: 'POST',
    connections: opts.connections,
    duration: seconds,
    headers: { 'content-type': 'application/secevent+jwt' },
    requests: [{ setupRequest: (request) => ({ ...request, body: opts.body() }) }],
  });
  rows.push({
    scenario,
    requests: result.requests.total,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
  });
}

const fresh = () => tokens[next++ % tokens.length]!;
const same = tokens[0]!;
await run('Kakao SET, new events, 1 connection', { connections: 1, body: fresh });
await run(`Kakao SET, new events, ${connections} connections`, { connections, body: fresh });
await run(`Kakao SET, redelivered event, ${connections} connections`, { connections, body: () => same });
await run(`Kakao SET, bad signature (refused), ${connections} connections`, {
  connections,
  body: () => `${same.slice(0, -4)}AAAA`,
});

const inspect = service.backend.createQueue(config.queue.name, {});
const jobs = await inspect.getJobCountByTypes('waiting', 'active', 'completed', 'failed', 'delayed');
const memory = process.memoryUsage();

console.log(`\nWebhook acknowledgement, ${seconds} s per scenario (latency in ms, over HTTP, real Redis)\n`);
console.table(rows);
const base = rows[1]!.rps;
console.log(`ratios vs "new events, ${connections} connections": ${rows.map((row) => `${row.scenario}: ${(row.rps / base).toFixed(2)}x`).join('; ')}`);
console.log(`jobs in the queue after the run: ${jobs}, from ${tokens.length} distinct tokens (scenarios cycle through them; redeliveries and refusals add none)`);
console.log(`receiver RSS after the run: ${Math.round(memory.rss / 1024 / 1024)} MiB, heap used ${Math.round(memory.heapUsed / 1024 / 1024)} MiB`);

await inspect.obliterate({ force: true });
await inspect.close();
await service.close();
await jwks.close();
