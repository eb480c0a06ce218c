import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type Service } from '../../src/service.js';
import { DEFAULT_BACKEND } from '../helpers/backends.js';
import { LOGTO_KEY } from '../helpers/logto-signer.js';
import { captureLogs, useTestBackend } from '../helpers/receiver.js';
import { testConfig } from '../helpers/test-config.js';

/**
 * Connections that send slowly, or never finish, cannot hold the process's memory for long or
 * without bound: a request must arrive whole within HTTP_REQUEST_TIMEOUT_MS (headers included),
 * and the server holds at most HTTP_MAX_CONNECTIONS connections. Bounds are generous ceilings,
 * not timings: Node's defaults (60 s for headers, expired requests looked for every 30 s, no cap
 * on connections) fail every one of them by far.
 */
describe('slow and held connections', () => {
  const store = useTestBackend(DEFAULT_BACKEND);
  let service: Service;
  let port: number;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    const config = testConfig({ ...store().env, LOGTO_SIGNING_KEYS: LOGTO_KEY, HTTP_REQUEST_TIMEOUT_MS: '1000', HTTP_MAX_CONNECTIONS: '6' });
    service = await startService(config, { role: 'receiver', logger: captureLogs().logger, backend: store().backend });
    port = (service.app.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await service?.close();
  });

  /** A connection that writes `text` and then nothing; resolves with how long until the server closed it. */
  function hold(text: string): { closedAfterMs: Promise<number>; socket: Socket } {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    socket.on('error', () => {});
    socket.on('data', () => {});
    socket.write(text);
    return { socket, closedAfterMs: new Promise((resolve) => socket.once('close', () => resolve(Date.now() - started))) };
  }

  const signedLogtoHeaders = (length: number) =>
    `POST /webhooks/logto HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\nlogto-signature-sha-256: ${'a'.repeat(64)}\r\ncontent-length: ${length}\r\n\r\n`;

  it('closes a connection whose headers never end, within seconds of the request timeout', async () => {
    const { closedAfterMs } = hold('POST /webhooks/logto HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n');
    expect(await closedAfterMs).toBeLessThan(10_000);
  }, 20_000);

  it('closes a connection that stops sending a large body, and frees what it buffered', async () => {
    const { closedAfterMs } = hold(`${signedLogtoHeaders(900_000)}${'x'.repeat(600_000)}`);
    expect(await closedAfterMs).toBeLessThan(10_000);
  }, 20_000);

  it('holds at most HTTP_MAX_CONNECTIONS connections and still answers within them', async () => {
    // Six connections that have sent nothing yet fill the cap: none is between requests, so none
    // is closed to make room, and the next ones are closed at once.
    const held = Array.from({ length: 6 }, () => hold(''));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const extra = Array.from({ length: 4 }, () => hold('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
    const closed = await Promise.all(extra.map((one) => one.closedAfterMs));
    expect(closed.every((ms) => ms < 5000)).toBe(true);
    // Once the held ones are gone, the server answers again.
    for (const one of held) one.socket.destroy();
    await Promise.all(held.map((one) => one.closedAfterMs));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  }, 20_000);
});
