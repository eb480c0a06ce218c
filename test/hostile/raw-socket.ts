import { connect } from 'node:net';

/** What came back on a raw connection: every status line seen, and the whole text. */
export interface RawAnswer {
  statuses: number[];
  text: string;
}

/**
 * Writes `request` byte for byte on a fresh TCP connection and reads until the server closes
 * it or `timeoutMs` passes (then the connection is ended by us).
 */
export function sendRaw(port: number, request: string | Buffer, timeoutMs = 3000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const finish = () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((match) => Number(match[1]));
      resolve({ statuses, text });
    };
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', finish);
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // The server may close while we still write (oversized headers): what it answered counts.
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    socket.write(request);
  });
}
