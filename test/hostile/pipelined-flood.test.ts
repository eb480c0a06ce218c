import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type Service } from '../../src/service.js';
import { MAX_IN_FLIGHT_PER_SOCKET } from '../../src/http/app.js';
import { DEFAULT_BACKEND } from '../helpers/backends.js';
import { captureLogs, useTestBackend } from '../helpers/receiver.js';
import { testConfig } from '../helpers/test-config.js';

/**
 * One connection that pipelines thousands of requests in one write and never reads an answer
 * used to make the process hold every answer (5,000 GET /metrics took it from 111 to 854 MB and
 * delayed a webhook by 10 s). Now a connection has at most MAX_IN_FLIGHT_PER_SOCKET requests in
 * flight: the next is answered 503 with Connection: close, and one that goes on is dropped.
 * Ceilings here are generous; the figures are in `npm run bench`'s notes.
 */
describe('a connection pipelining thousands of requests without reading', () => {
  const store = useTestBackend(DEFAULT_BACKEND);
  let service: Service;
  let port: number;
  let flood: Socket;
  const logs = captureLogs();

  beforeAll(async () => {
    service = await startService(testConfig({ ...store().env, LOG_LEVEL: 'info', METRICS_CACHE_MS: '1000' }), { role: 'receiver', logger: logs.logger, backend: store().backend });
    port = (service.app.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    flood?.destroy();
    await service?.close();
  });

  it('is cut off, costs little memory, and leaves other clients answered', async () => {
    const rssBefore = process.memoryUsage().rss;
    // The server's side of the flooding connection: the client never reads, so it would not see
    // the connection end.
    const serverSide = new Promise<Socket>((resolve) => service.app.server.once('connection', resolve));
    flood = connect(port, '127.0.0.1');
    flood.on('error', () => {});
    flood.pause(); // never reads an answer
    const accepted = await serverSide;
    const closed = accepted.destroyed ? Promise.resolve() : new Promise<void>((resolve) => accepted.once('close', () => resolve()));
    flood.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(3000));

    const started = Date.now();
    const other = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(other.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(3000);

    await closed; // the server dropped it
    const grewMiB = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
    expect(grewMiB).toBeLessThan(150);
    // A few warn lines for the refused requests, not one per pipelined request.
    expect(logs.lines.filter((line) => line.code === 'ERR_TOO_MANY_IN_FLIGHT').length).toBeLessThanOrEqual(MAX_IN_FLIGHT_PER_SOCKET);
  }, 30_000);

  it('answers the request past the limit 503 with Connection: close, when the client reads', async () => {
    const answers = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString('latin1')));
      socket.on('close', () => resolve(text));
      socket.on('error', () => {});
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(MAX_IN_FLIGHT_PER_SOCKET + 1));
    });
    const statuses = [...answers.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((match) => Number(match[1]));
    expect(statuses.slice(0, MAX_IN_FLIGHT_PER_SOCKET).every((status) => status === 200)).toBe(true);
    expect(statuses.at(-1)).toBe(503);
    expect(answers).toMatch(/connection: close/i);
  }, 30_000);
});
