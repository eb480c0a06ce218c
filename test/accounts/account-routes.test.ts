import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { REDIS_CHANGES_CHANNEL } from '../../src/accounts/stores/redis-store.js';
import { PG_CHANGES_CHANNEL } from '../../src/accounts/stores/sql-store.js';
import { accountApiComponent } from '../../src/accounts/components.js';
import { runComponents } from '../../src/composition/run-components.js';
import { buildApp } from '../../src/http/app.js';
import type { QueueBackend } from '../../src/queue/backend.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { API_TOKEN } from '../helpers/account-api.js';
import { BACKENDS, openTestBackend, openUnavailableBackend, TEST_DATABASE_URL, TEST_REDIS_URL } from '../helpers/backends.js';
import { testConfig } from '../helpers/test-config.js';
import { atMost, waitFor } from '../helpers/wait-for.js';

/** The HTTP app with the account API component as the service starts it, on the given store. */
const build = async (env: Record<string, string>, backend: QueueBackend) => {
  const config = testConfig({ KAKAO_AUDIENCE: '', ...env });
  const options = { config, role: 'all' as const, logger: createLogger('silent'), metrics: createMetrics() };
  const { routes } = await runComponents([accountApiComponent], { ...options, provided: { backend } });
  return (await buildApp(config, { ...options, routes })).app;
};

describe('account routes', () => {
  it('do not exist without ACCOUNT_API_TOKENS', async () => {
    const store = await openTestBackend(BACKENDS[0]!);
    try {
      const app = await build({}, store.backend);
      for (const url of ['/v1/accounts/kakao/1', '/v1/accounts/changes', '/v1/accounts/kakao/1/sessions/check?issuedAt=0']) {
        expect((await app.inject({ url, headers: { authorization: `Bearer ${API_TOKEN}` } })).statusCode).toBe(404);
      }
      await app.close();
    } finally {
      await store.close();
    }
  });

  it.each(BACKENDS)('answer 503 with Retry-After, never a guess, when the %s store does not answer', async (kind) => {
    const down = await openUnavailableBackend(kind);
    try {
      const app = await build({ ACCOUNT_API_TOKENS: API_TOKEN }, down.backend);
      const headers = { authorization: `Bearer ${API_TOKEN}` };
      for (const request of [
        { method: 'GET' as const, url: '/v1/accounts/kakao/1' },
        { method: 'GET' as const, url: '/v1/accounts/kakao/1/sessions/check?issuedAt=0' },
        { method: 'POST' as const, url: '/v1/sessions/check', payload: { sessions: [{ provider: 'kakao', userId: '1', issuedAt: 0 }] } },
      ]) {
        const response = await app.inject({ ...request, headers });
        expect(response.statusCode, request.url).toBe(503);
        expect(response.headers['retry-after']).toBe('5');
        expect(response.json()).toMatchObject({ error: 'ERR_STORE_UNAVAILABLE' });
      }
      await atMost(app.close());
    } finally {
      await atMost(down.close());
    }
  });
});

describe('the change feed outside the service', () => {
  const update = (userId: string) => ({ provider: 'kakao' as const, userId, event: { id: 'e1', type: 'kakao.sessions-revoked', at: Date.now() }, revokeSessions: true });

  it.runIf(BACKENDS.includes('redis'))(`reaches Redis subscribers of ${REDIS_CHANGES_CHANNEL}`, async () => {
    const store = await openTestBackend('redis');
    const subscriber = new Redis(TEST_REDIS_URL);
    const messages: string[] = [];
    try {
      subscriber.on('message', (_channel, message) => void messages.push(message));
      await subscriber.subscribe(REDIS_CHANGES_CHANNEL);
      const userId = randomUUID();
      await store.backend.accountStates().apply(update(userId));
      const message = await waitFor(() => messages.find((text) => text.includes(userId)), { what: 'the pub/sub message' });
      expect(JSON.parse(message)).toMatchObject({ provider: 'kakao', userId, action: 'sessions-revoked', status: 'active', eventId: 'e1' });
    } finally {
      subscriber.disconnect();
      await store.close();
    }
  });

  it.runIf(BACKENDS.includes('postgres'))(`reaches PostgreSQL listeners of ${PG_CHANGES_CHANNEL}`, async () => {
    const store = await openTestBackend('postgres');
    const listener = new pg.Client({ connectionString: TEST_DATABASE_URL });
    const messages: string[] = [];
    try {
      await listener.connect();
      listener.on('notification', (notification) => void messages.push(notification.payload ?? ''));
      await listener.query(`LISTEN ${PG_CHANGES_CHANNEL}`);
      const userId = randomUUID();
      await store.backend.accountStates().apply(update(userId));
      const message = await waitFor(() => messages.find((text) => text.includes(userId)), { what: 'the notification' });
      expect(JSON.parse(message)).toMatchObject({ provider: 'kakao', userId, action: 'sessions-revoked' });
    } finally {
      await listener.end();
      await store.close();
    }
  });
});
