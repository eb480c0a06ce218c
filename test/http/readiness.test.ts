import { afterEach, describe, expect, it } from 'vitest';
import { evaluateReadiness } from '../../src/http/readiness.js';
import { startService, type Service } from '../../src/service.js';
import { DEFAULT_BACKEND, openUnavailableBackend, type TestBackend } from '../helpers/backends.js';
import { createTestKey, startJwksServer, type JwksServer } from '../helpers/kakao-transmitter.js';
import { captureLogs, useTestBackend } from '../helpers/receiver.js';
import { testConfig } from '../helpers/test-config.js';
import { atMost, waitFor } from '../helpers/wait-for.js';

describe('evaluateReadiness', () => {
  it('names each failing check, counting a throwing or hanging one as failing, within the budget', async () => {
    const started = Date.now();
    const result = await evaluateReadiness(
      [
        { name: 'fine', check: () => true },
        { name: 'throws', check: async () => Promise.reject(new Error('down')) },
        { name: 'hangs', check: () => new Promise<boolean>(() => {}) },
        { name: 'says-no', check: () => false },
      ],
      300,
    );
    expect(Date.now() - started).toBeLessThan(1000);
    expect(result).toEqual({
      ready: false,
      failing: ['throws', 'hangs', 'says-no'],
      checks: { fine: 'ok', throws: 'failing', hangs: 'failing', 'says-no': 'failing' },
    });
    expect(await evaluateReadiness([{ name: 'fine', check: () => true }])).toEqual({ ready: true, failing: [], checks: { fine: 'ok' } });
  });
});

describe('GET /readyz and /healthz of the running service', () => {
  const store = useTestBackend(DEFAULT_BACKEND);
  let service: Service | undefined;
  let jwks: JwksServer | undefined;
  let down: TestBackend | undefined;

  afterEach(async () => {
    await atMost(service?.close() ?? Promise.resolve());
    service = undefined;
    await jwks?.close();
    await atMost(down?.close() ?? Promise.resolve());
    down = undefined;
  });

  const get = (path: string) => service!.app.inject({ url: path });

  it('is unready until Kakao keys have been fetched once, then ready; /healthz stays 200 throughout', async () => {
    jwks = await startJwksServer([await createTestKey('k1')]);
    jwks.mode = 'error';
    const config = testConfig({ ...store().env, KAKAO_JWKS_URI: jwks.url, JWKS_COOLDOWN_MS: '1000' }); // cache age: the default 10 min
    service = await startService(config, { role: 'all', logger: captureLogs().logger, backend: store().backend });

    const unready = await get('/readyz');
    expect(unready.statusCode).toBe(503);
    expect(unready.json()).toEqual({ status: 'unready', failing: ['kakao-jwks'], checks: { store: 'ok', 'kakao-jwks': 'failing' } });
    expect((await get('/healthz')).statusCode).toBe(200);

    jwks.mode = 'up'; // without keys, the background refresh retries every few seconds, not every half cache age
    await waitFor(async () => (await get('/readyz')).statusCode === 200, { what: 'readiness', timeoutMs: 5000 });
    expect((await get('/readyz')).json()).toEqual({ status: 'ready', checks: { store: 'ok', 'kakao-jwks': 'ok' } });
  });

  it('names the store when it does not answer, within about a second; a worker-only process checks its store too', async () => {
    down = await openUnavailableBackend(DEFAULT_BACKEND);
    const config = testConfig({ ...down.env, KAKAO_AUDIENCE: '' });
    service = await startService(config, { role: 'all', logger: captureLogs().logger, backend: down.backend });
    const started = Date.now();
    const response = await get('/readyz');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ status: 'unready', failing: ['store'] });
    expect((await get('/healthz')).statusCode).toBe(200);
  });
});
