import { readFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createFeedWriter, type DropReason, type FeedWriterLimits } from '../../../src/accounts/http/feed-writer.js';
import { waitFor } from '../../helpers/wait-for.js';

/**
 * The change feed's writer on a real TCP connection (a plain HTTP server, no store: this is the
 * unit; test/accounts/http/change-stream-limits.test.ts runs it behind the service on every store).
 */
describe('the change feed writer', () => {
  const closers: (() => void)[] = [];
  afterEach(() => {
    for (const close of closers.splice(0)) close();
  });

  /** A server whose one response is written through the writer, and a raw client of it. */
  async function stream(limits: FeedWriterLimits) {
    const drops: { reason: DropReason; bufferedBytes: number }[] = [];
    let response!: ServerResponse;
    let writes = 0;
    let writer!: ReturnType<typeof createFeedWriter>;
    const opened = new Promise<void>((resolve) => {
      const server: Server = createServer((_request, res) => {
        response = res;
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const write = res.write.bind(res) as (text: string) => boolean;
        res.write = ((text: string) => (writes += 1, write(text))) as typeof res.write;
        writer = createFeedWriter(res, limits, (reason, bufferedBytes) => void drops.push({ reason, bufferedBytes }));
        writer.write(': open\n\n');
        resolve();
      });
      server.listen(0, '127.0.0.1', () => {
        const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
        closers.push(() => {
          client.destroy();
          server.closeAllConnections();
          server.close();
        });
        client.write('GET / HTTP/1.1\r\nHost: feed\r\n\r\n');
        clientSocket = client;
      });
    });
    let clientSocket!: Socket;
    await opened;
    await waitFor(() => clientSocket, { what: 'the client' });
    return { client: clientSocket, writer: () => writer, response: () => response, drops, writes: () => writes };
  }

  /**
   * Bytes the kernel holds to send on the server's side of the connection to `clientPort`, from
   * /proc/net/tcp (Linux): 0 once that side is gone.
   */
  const queuedTo = (clientPort: number) =>
    readFileSync('/proc/net/tcp', 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields.length > 4 && Number.parseInt(fields[2]!.split(':')[1]!, 16) === clientPort)
      .reduce((sum, fields) => sum + Number.parseInt(fields[4]!.split(':')[0]!, 16), 0);

  const message = (i: number) => `event: change\nid: ${i}\ndata: ${'x'.repeat(1000)}\n\n`;

  it('keeps what a full socket cannot take in one piece, and cuts the stream past the bound', async () => {
    const { client, writer, drops, writes } = await stream({ maxBufferedBytes: 2 * 1024 * 1024, drainTimeoutMs: 600_000 });
    client.pause(); // a reader that never reads
    client.on('error', () => {});
    let written = 0;
    while (drops.length === 0 && written < 20_000) writer().write(message(written++));
    expect(drops).toEqual([{ reason: 'buffer', bufferedBytes: expect.any(Number) }]);
    expect(drops[0]!.bufferedBytes).toBeLessThanOrEqual(2 * 1024 * 1024);
    // Node took a write only until the socket was full; the rest waited as one string.
    expect(writes()).toBeLessThan(100);
    expect(written).toBeGreaterThan(1000);
  });

  it('cuts a stream whose socket does not drain in time, below the bound, with a reset that leaves the kernel nothing to hold', async () => {
    const { client, writer, drops, response } = await stream({ maxBufferedBytes: 1024 * 1024 * 1024, drainTimeoutMs: 1000 });
    client.pause(); // a reader that never reads, and keeps its end of the connection open
    client.on('error', () => {});
    // Until both kernels' buffers are full: the server's holds what is left to send, and Node waits.
    let written = 0;
    while (!response().writableNeedDrain && drops.length === 0 && written < 100_000) {
      for (let i = 0; i < 100; i += 1) writer().write(message(written++));
      await sleep(5);
    }
    expect(queuedTo(client.localPort!)).toBeGreaterThanOrEqual(256 * 1024);
    await waitFor(() => drops.length > 0, { what: 'the stream to be cut' });
    expect(drops.map((drop) => drop.reason)).toEqual(['drain']);
    // Reset, not closed: a close would leave that queued, for as long as the reader holds on.
    await waitFor(() => queuedTo(client.localPort!) === 0, { what: 'the kernel to drop what it held for the reader' });
  });

  it('delivers everything, in order, to a reader that keeps up, however often the socket fills', async () => {
    const { client, writer, drops, response } = await stream({ maxBufferedBytes: 256 * 1024, drainTimeoutMs: 600_000 });
    let received = '';
    client.setEncoding('utf8');
    client.on('data', (chunk: string) => (received += chunk));
    const count = 3000;
    for (let i = 0; i < count; i += 1) {
      writer().write(message(i));
      if (i % 50 === 49) await nextTurn();
    }
    response().end();
    await waitFor(() => received.includes(`id: ${count - 1}\n`) && received.endsWith('0\r\n\r\n'), { what: 'every message' });
    expect(drops).toEqual([]);
    const ids = [...received.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]));
    expect(ids).toEqual(Array.from({ length: count }, (_, i) => i));
  });
});
