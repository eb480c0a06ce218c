/**
 * Session checks, two ways, against one store: through the account API over HTTP, and through
 * the session guard's memory after warm-up. Users are seeded straight into the account state
 * (the worker's path is measured by the webhook scenarios), some revoked, some disabled.
 */
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { createSessionGuard } from '../src/accounts/client/index.js';
import type { AccountUpdate } from '../src/accounts/model.js';
import { startService } from '../src/service.js';
import type { TestBackend } from '../test/helpers/backends.js';
import { testConfig } from '../test/helpers/test-config.js';

export interface SessionCheckRow {
  scenario: string;
  requests: number;
  'req/s': number;
  'p50 ms': number;
  'p99 ms': number;
  non2xx: number;
}

const TOKEN = 'bench-account-api-token-0123456789';
const SEEDERS = 32;

export async function benchSessionChecks(store: TestBackend, options: { users: number; seconds: number; connections: number }): Promise<SessionCheckRow[]> {
  const config = testConfig({ ...store.env, KAKAO_AUDIENCE: '', LOG_LEVEL: 'silent', ACCOUNT_API_TOKENS: TOKEN });
  const service = await startService(config, { role: 'all', logger: pino({ level: 'silent' }), backend: store.backend });
  const base = `http://127.0.0.1:${(service.app.server.address() as { port: number }).port}`;
  const run = randomUUID().slice(0, 8);
  const users = Array.from({ length: options.users }, (_, i) => `bench-${run}-${i}`);
  const now = Date.now();
  try {
    await seed(store, users, now);
    const rows: SessionCheckRow[] = [];

    let next = 0;
    const api = await autocannon({
      url: base,
      connections: options.connections,
      duration: options.seconds,
      headers: { authorization: `Bearer ${TOKEN}` },
      requests: [
        {
          method: 'GET',
          setupRequest: (request) => ({ ...request, path: `/v1/accounts/kakao/${users[next++ % users.length]}/sessions/check?issuedAt=${now - 30_000}` }),
        },
      ],
    });
    rows.push({
      scenario: 'session check via API',
      requests: api.requests.total,
      'req/s': Math.round(api.requests.average),
      'p50 ms': api.latency.p50,
      'p99 ms': api.latency.p99,
      non2xx: api.non2xx,
    });

    rows.push(await benchGuard(base, users, now - 30_000, options.seconds));
    return rows;
  } finally {
    await service.close();
  }
}

/** Every 4th user revoked a minute ago, every 10th disabled, the rest untouched but known. */
async function seed(store: TestBackend, users: readonly string[], now: number) {
  const accounts = store.backend.accountStates();
  let next = 0;
  const seeder = async () => {
    for (let i = next++; i < users.length; i = next++) {
      const update: AccountUpdate = {
        provider: 'kakao',
        userId: users[i]!,
        event: { id: randomUUID(), type: 'bench.seed', at: now - 60_000 },
        ...(i % 4 === 0 ? { revokeSessions: true } : {}),
        ...(i % 10 === 0 ? { status: 'disabled' as const } : {}),
        profile: { nickname: `user ${i}` },
      };
      await accounts.apply(update);
    }
  };
  await Promise.all(Array.from({ length: SEEDERS }, seeder));
}

/** Checks per second from memory, one after another, after every user has been read once. */
async function benchGuard(base: string, users: readonly string[], issuedAt: number, seconds: number): Promise<SessionCheckRow> {
  const guard = createSessionGuard({ baseUrl: base, token: TOKEN });
  try {
    await guard.ready();
    let next = 0;
    const warm = async () => {
      for (let i = next++; i < users.length; i = next++) await guard.check({ provider: 'kakao', userId: users[i]!, issuedAt });
    };
    await Promise.all(Array.from({ length: 16 }, warm));
    const warmed = guard.stats();

    // Every 64th check is timed, to keep the clock out of the figure it measures.
    const samples: number[] = [];
    let checks = 0;
    const started = performance.now();
    const until = started + seconds * 1000;
    while (performance.now() < until) {
      for (let batch = 0; batch < 1024; batch += 1, checks += 1) {
        const session = { provider: 'kakao' as const, userId: users[checks % users.length]!, issuedAt };
        if ((checks & 63) === 0) {
          const t0 = performance.now();
          await guard.check(session);
          samples.push(performance.now() - t0);
        } else {
          await guard.check(session);
        }
      }
    }
    const elapsed = (performance.now() - started) / 1000;
    const after = guard.stats();
    if (after.loads !== warmed.loads || after.networkChecks !== 0) throw new Error(`the guard went to the network after warm-up: ${JSON.stringify(after)}`);
    samples.sort((a, b) => a - b);
    const at = (q: number) => Number(samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!.toFixed(4));
    return { scenario: 'session check via guard', requests: checks, 'req/s': Math.round(checks / elapsed), 'p50 ms': at(0.5), 'p99 ms': at(0.99), non2xx: 0 };
  } finally {
    await guard.close();
  }
}
