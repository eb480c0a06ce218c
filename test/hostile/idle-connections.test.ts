import { connect, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { createMetrics } from '../../src/metrics.js';
import { testConfig } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Connections that send one request and then sit idle on keep-alive (72 s) cannot shut senders
 * out: at HTTP_MAX_CONNECTIONS, a new connection makes room by closing idle ones. Connections
 * busy with a request still count, and one past the cap is refused when none is idle.
 */
describe('idle keep-alive connections at HTTP_MAX_CONNECTIONS', () => {
  const MAX = 20;
  let app: FastifyInstance;
  let port: number;
  let sockets: Socket[] = [];

  beforeAll(async () => {
    // A long request timeout: the busy connections below stay busy for the whole test.
    const config = testConfig({ HTTP_MAX_CONNECTIONS: String(MAX), HTTP_REQUEST_TIMEOUT_MS: '60000' });
    app = (await buildApp(config, { logger: pino({ level: 'silent' }), metrics: createMetrics() })).app;
    // Answers once the whole JSON body has arrived, as the webhook endpoints do.
    app.post('/echo', async (request) => request.body);
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
  });
  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    sockets = [];
    // Wait until the server has let them all go, so each case starts with no connection held.
    await waitFor(() => new Promise<boolean>((resolve) => app.server.getConnections((_, count) => resolve(count === 0))), { what: 'connections closed' });
  });
  afterAll(async () => {
    await app?.close();
  });

  /** A raw connection: what it received so far, and whether the server closed it. */
  function open(text: string): { socket: Socket; received: () => string; closed: () => boolean } {
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    let received = '';
    let closed = false;
    socket.on('error', () => {});
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('close', () => (closed = true));
    socket.write(text);
    return { socket, received: () => received, closed: () => closed };
  }

  const HEALTHZ = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';

  it('closes idle ones to let a new connection in', async () => {
    const idle = Array.from({ length: MAX }, () => open(HEALTHZ));
    await waitFor(() => idle.every((one) => one.received().startsWith('HTTP/1.1 200 ')), { what: 'every idle connection answered' });
    expect(idle.some((one) => one.closed())).toBe(false);

    const fresh = open(HEALTHZ);
    await waitFor(() => fresh.received() || fresh.closed(), { what: 'the new connection answered or closed' });
    expect(fresh.received()).toMatch(/^HTTP\/1\.1 200 /);
    // The idle ones made room.
    await waitFor(() => idle.some((one) => one.closed()), { what: 'an idle connection closed' });
  }, 30_000);

  it('still refuses a new connection when every held one is busy with a request', async () => {
    // Bodies that never finish arriving: each connection has a request in flight, unanswered.
    const busy = Array.from({ length: MAX }, () => open('POST /echo HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"a":'));
    await waitFor(() => new Promise<boolean>((resolve) => app.server.getConnections((_, count) => resolve(count === MAX))), { what: 'busy connections held' });

    const refused = open(HEALTHZ);
    await waitFor(() => refused.closed(), { what: 'the new connection closed' });
    expect(refused.received()).toBe('');
    expect(busy.some((one) => one.closed() || one.received() !== '')).toBe(false);
  }, 30_000);
});
