import type pg from 'pg';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { accountApiComponent } from '../../src/accounts/components.js';
import type { AccountStateStore } from '../../src/accounts/store.js';
import { createSqlAccountStore } from '../../src/accounts/stores/sql-store.js';
import { runComponents } from '../../src/composition/run-components.js';
import type { WebhookEvent } from '../../src/events/envelope.js';
import { toStorable } from '../../src/events/storable.js';
import { isPermanent } from '../../src/handlers/registry.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { isDataException, type QueueBackend } from '../../src/queue/backend.js';
import { createEventQueue } from '../../src/queue/event-queue.js';
import { API_TOKEN } from '../helpers/account-api.js';
import { testConfig } from '../helpers/test-config.js';

/** What pg rejects with when PostgreSQL refuses a value (a NUL in jsonb). */
const dataException = (code = '22P05') => Object.assign(new Error('unsupported Unicode escape sequence'), { code });

const event = (id: string, data: Record<string, unknown> = {}): WebhookEvent => {
  const now = new Date().toISOString();
  return { id, provider: 'kakao', type: 'kakao.unknown', sourceType: 'uri', subject: null, occurredAt: now, receivedAt: now, data };
};

/**
 * PostgreSQL's data exceptions (SQLSTATE class 22) are the input's fault wherever the store's
 * errors are mapped: a 4xx at the edge, a job that is not retried in the worker; never a 503 that
 * makes an authentic sender retry the same refused value forever. Values are made storable first
 * (test/hostile/nul-input.test.ts); these cover what that does not foresee.
 */
describe('PostgreSQL data exceptions', () => {
  it('are class 22 and nothing else', () => {
    for (const code of ['22P05', '22021', '22P02', '22001', '22003']) expect(isDataException({ code })).toBe(true);
    for (const code of ['23505', '57P01', '08006', 'ECONNREFUSED', '2200']) expect(isDataException({ code })).toBe(false);
    expect(isDataException(null)).toBe(false);
  });

  it('enqueueing: the request whose value is refused gets a 400; the requests batched with it are stored', async () => {
    const stored: string[] = [];
    const refuses = (jobs: { data: WebhookEvent }[]) => jobs.some((job) => job.data.data.bad === true);
    const queue = {
      on() {},
      async add(_name: string, data: WebhookEvent) {
        if (refuses([{ data }])) throw dataException();
        stored.push(data.id);
      },
      async addBulk(jobs: { data: WebhookEvent }[]) {
        if (refuses(jobs)) throw dataException(); // one transaction: nothing of the batch is stored
        stored.push(...jobs.map((job) => job.data.id));
      },
      async close() {},
    };
    const backend = { createQueue: () => queue, confirmStored: async () => {} } as unknown as QueueBackend;
    const events = createEventQueue({ backend, ...testConfig().queue });
    const results = await Promise.allSettled([
      events.enqueue([event('a')]),
      events.enqueue([event('b', { bad: true })]),
      events.enqueue([event('c'), event('d')]),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ statusCode: 400, code: 'ERR_PAYLOAD_INVALID' });
    expect(stored.sort()).toEqual(['a', 'c', 'd']);
  });

  it('the account API: a value the store refuses is a 400, not a 503', async () => {
    const store = { get: () => Promise.reject(dataException('22021')), getMany: () => Promise.reject(dataException('22021')) } as unknown as AccountStateStore;
    const backend = { accountStates: () => store } as unknown as QueueBackend;
    const config = testConfig({ KAKAO_AUDIENCE: '', ACCOUNT_API_TOKENS: API_TOKEN });
    const options = { config, role: 'all' as const, logger: createLogger('silent'), metrics: createMetrics() };
    const { routes } = await runComponents([accountApiComponent], { ...options, provided: { backend } });
    const app = (await buildApp(config, { ...options, routes })).app;
    try {
      const headers = { authorization: `Bearer ${API_TOKEN}` };
      for (const url of ['/v1/accounts/kakao/1', '/v1/accounts/kakao/1/sessions/check?issuedAt=0']) {
        const response = await app.inject({ url, headers });
        expect(response.statusCode).toBe(400);
        expect(response.json()).toMatchObject({ error: 'ERR_BAD_REQUEST' });
      }
      const batch = await app.inject({ method: 'POST', url: '/v1/sessions/check', headers, payload: { sessions: [{ provider: 'kakao', userId: '1', issuedAt: 0 }] } });
      expect(batch.statusCode).toBe(400);
    } finally {
      await app.close();
    }
  });

  it('the account state handler: a write the store refuses fails the job permanently (no retries)', async () => {
    const pool = {
      async query(text: string) {
        if (text.startsWith('CREATE TABLE')) return { rows: [], rowCount: 0 };
        if (text.startsWith('SELECT version')) return { rows: [], rowCount: 0 };
        throw dataException();
      },
    } as unknown as pg.Pool;
    const store = createSqlAccountStore({ pool, log: pino({ level: 'silent' }) });
    const error = await store.apply({ provider: 'kakao', userId: '1', event: { id: 'e', type: 'kakao.account-disabled', at: 1 }, status: 'disabled' }).catch((caught: unknown) => caught);
    expect(isPermanent(error)).toBe(true);
    expect((error as Error).cause).toMatchObject({ code: '22P05' });
  });
});

describe('toStorable', () => {
  it('replaces NULs and lone surrogates in every string and key with U+FFFD, keeps pairs, and copies only what changes', () => {
    const kept = { ok: ['plain', '한국어 😀'], n: 1, t: true, z: null };
    expect(toStorable(kept)).toBe(kept);
    const input = { a: 'x\u0000y', [`k\u0000`]: ['\uD800', '\uDC00x', '😀\u0000'], keep: kept } as Record<string, unknown>;
    const output = toStorable(input);
    expect(output).toEqual({ a: 'x\uFFFDy', [`k\uFFFD`]: ['\uFFFD', '\uFFFDx', '😀\uFFFD'], keep: kept });
    expect(output.keep).toBe(kept);
    // A "__proto__" key from JSON.parse stays an own key, and sets no prototype.
    const proto = toStorable(JSON.parse('{"__proto__": "\\u0000"}') as object);
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(proto, '__proto__')?.value).toBe('\uFFFD');
  });
});
