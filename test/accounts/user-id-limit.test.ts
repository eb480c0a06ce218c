import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountApiComponent } from '../../src/accounts/components.js';
import { MAX_USER_ID_LENGTH } from '../../src/accounts/model.js';
import { runComponents } from '../../src/composition/run-components.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import type { FastifyInstance } from 'fastify';
import { API_TOKEN } from '../helpers/account-api.js';
import { DEFAULT_BACKEND } from '../helpers/backends.js';
import { useTestBackend } from '../helpers/receiver.js';
import { testConfig } from '../helpers/test-config.js';

/**
 * One limit for a user id, wherever it is checked: the router (a path parameter) and the account
 * API's schema agree on MAX_USER_ID_LENGTH. Fastify's default refused ids over 100 characters with
 * a 414 that quoted the URL back.
 */
describe('the user id limit of the account API', () => {
  const store = useTestBackend(DEFAULT_BACKEND);
  let app: FastifyInstance;
  beforeAll(async () => {
    const config = testConfig({ ...store().env, KAKAO_AUDIENCE: '', ACCOUNT_API_TOKENS: API_TOKEN });
    const options = { config, role: 'all' as const, logger: createLogger('silent'), metrics: createMetrics() };
    const { routes } = await runComponents([accountApiComponent], { ...options, provided: { backend: store().backend } });
    app = (await buildApp(config, { ...options, routes })).app;
  });
  afterAll(async () => {
    await app?.close();
  });

  const get = (url: string) => app.inject({ url, headers: { authorization: `Bearer ${API_TOKEN}` } });
  const batch = (userId: string) =>
    app.inject({ method: 'POST', url: '/v1/sessions/check', headers: { authorization: `Bearer ${API_TOKEN}` }, payload: { sessions: [{ provider: 'kakao', userId, issuedAt: 0 }] } });

  it('is 256 characters', () => {
    expect(MAX_USER_ID_LENGTH).toBe(256);
  });

  it.each([101, 200, 256])('a user id of %i characters is looked up (404: no event named it)', async (length) => {
    const id = `u${'1'.repeat(length - 1)}`;
    const response = await get(`/v1/accounts/kakao/${id}`);
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ error: 'ERR_ACCOUNT_NOT_FOUND' });
    expect((await get(`/v1/accounts/kakao/${id}/sessions/check?issuedAt=0`)).json()).toMatchObject({ allowed: true });
    expect((await batch(id)).statusCode).toBe(200);
  });

  it('counts characters after percent-decoding: 256 non-ASCII characters are looked up', async () => {
    const response = await get(`/v1/accounts/kakao/${encodeURIComponent('가'.repeat(256))}`);
    expect(response.statusCode).toBe(404);
  });

  it.each([257, 1000])('a user id of %i characters is a 400 that names the limit and does not quote the URL', async (length) => {
    const id = `u${'7'.repeat(length - 1)}`;
    for (const url of [`/v1/accounts/kakao/${id}`, `/v1/accounts/kakao/${id}/sessions/check?issuedAt=0`]) {
      const response = await get(url);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ error: 'ERR_BAD_REQUEST', message: expect.stringContaining('256') });
      expect(response.body).not.toContain('7777');
    }
    const response = await batch(id);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: 'ERR_BAD_REQUEST', message: 'sessions.0.userId: userId is at most 256 characters' });
  });

  it('a malformed percent-encoding in the path is a 400 that does not quote the URL', async () => {
    const response = await get('/v1/accounts/kakao/abc%E0%A4%Azzz');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'ERR_BAD_REQUEST' });
    expect(response.body).not.toContain('zzz');
  });
});
