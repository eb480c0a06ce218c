import { connect } from 'node:net';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { buildApp } from '../../src/http/app.js';
import { createMetrics } from '../../src/metrics.js';

/** Shutdown as a load balancer with kept-alive connections sees it. */
describe('closing the HTTP app', () => {
  it('finishes in-flight requests, then closes their kept-alive connections instead of waiting for them', async () => {
    const { app } = await buildApp(loadConfig({}), { logger: pino({ level: 'silent' }), metrics: createMetrics() });
    app.get('/slow', async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      return 'done';
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };

    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk));
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET /slow HTTP/1.1\r\nHost: test\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 50));

    const socketClosed = new Promise((resolve) => socket.once('close', resolve));
    const started = Date.now();
    await app.close();
    const closeMs = Date.now() - started;
    await socketClosed;

    expect(received).toMatch(/^HTTP\/1\.1 200/);
    expect(received).toContain('done');
    expect(received).toMatch(/\r\nconnection: close\r\n/i);
    expect(closeMs).toBeLessThan(2000); // not the 72 s keep-alive timeout
  });
});
