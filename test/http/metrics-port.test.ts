import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type Service } from '../../src/service.js';
import { DEFAULT_BACKEND } from '../helpers/backends.js';
import { captureLogs, useTestBackend } from '../helpers/receiver.js';
import { testConfig } from '../helpers/test-config.js';

/** With METRICS_PORT, /metrics leaves the port Kakao and Logto reach and is served on its own, on loopback. */
describe('METRICS_PORT', () => {
  const store = useTestBackend(DEFAULT_BACKEND);
  let service: Service;
  let base: string;
  let metricsUrl: string;

  beforeAll(async () => {
    const logs = captureLogs();
    service = await startService(testConfig({ ...store().env, LOG_LEVEL: 'info', METRICS_PORT: '0' }), { role: 'receiver', logger: logs.logger, backend: store().backend });
    base = `http://127.0.0.1:${(service.app.server.address() as { port: number }).port}`;
    metricsUrl = String(logs.lines.find((line) => line.msg === 'metrics are served on their own port only')?.metricsUrl);
  });
  afterAll(async () => {
    await service?.close();
  });

  it('serves /metrics on METRICS_HOST (loopback by default) and METRICS_PORT only', async () => {
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const scraped = await fetch(`${metricsUrl}/metrics`);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('webhook_requests_total');
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('closes the metrics listener with the service', async () => {
    await service.close();
    await expect(fetch(`${metricsUrl}/metrics`)).rejects.toThrow();
  });
});
