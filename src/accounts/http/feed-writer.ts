import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Why a stream was ended; the label values of account_change_streams_dropped_total. */
export type DropReason = 'buffer' | 'drain';

export interface FeedWriterLimits {
  /** Bytes that may wait in this process for one stream's socket. */
  maxBufferedBytes: number;
  /** How long a socket may stay full (write() said to wait) without draining. */
  drainTimeoutMs: number;
}

/**
 * Writes Server-Sent Events to one response without letting a reader that does not keep up hold
 * memory: Node queues whatever the socket cannot take, without limit.
 * - While the socket is full, output waits here joined into one string, and goes out in one write
 *   when the socket drains. Thousands of small writes queued in Node instead would each be failed
 *   with an error of its own when the stream is cut, which stalled the process for a second.
 * - The stream is cut once more than `maxBufferedBytes` would wait (here and in Node), or once the
 *   socket has not drained for `drainTimeoutMs`. It is reset (TCP RST), not closed: a close would
 *   leave what the kernel holds for the reader (megabytes) queued as long as the reader keeps its
 *   connection open without reading.
 * The reader loses no state by it: a client that sees the stream end reconnects and reads the
 * state afresh.
 */
export function createFeedWriter(response: ServerResponse, limits: FeedWriterLimits, onDrop: (reason: DropReason, bufferedBytes: number) => void) {
  let waiting: string[] = [];
  let waitingBytes = 0;
  let drainTimer: NodeJS.Timeout | undefined;
  let dropped = false;

  const waitForDrain = () => {
    drainTimer = setTimeout(() => drop('drain'), limits.drainTimeoutMs);
    drainTimer.unref();
  };
  const drop = (reason: DropReason) => {
    if (dropped) return;
    dropped = true;
    clearTimeout(drainTimer);
    onDrop(reason, response.writableLength + waitingBytes);
    waiting = [];
    reset(response);
  };
  response.on('drain', () => {
    clearTimeout(drainTimer);
    drainTimer = undefined;
    if (dropped || waiting.length === 0) return;
    const text = waiting.join('');
    waiting = [];
    waitingBytes = 0;
    if (!response.write(text)) waitForDrain();
  });
  response.on('close', () => clearTimeout(drainTimer));

  return {
    write(text: string): void {
      if (dropped || response.destroyed) return;
      if (drainTimer === undefined) {
        if (!response.write(text)) waitForDrain();
        return;
      }
      const bytes = Buffer.byteLength(text);
      if (response.writableLength + waitingBytes + bytes > limits.maxBufferedBytes) return drop('buffer');
      waiting.push(text);
      waitingBytes += bytes;
    },
  };
}

/** Ends the connection with a TCP reset, so the kernel drops what it still holds for the reader. */
function reset(response: ServerResponse) {
  const socket = response.socket as Socket | null;
  try {
    if (socket) return void socket.resetAndDestroy();
  } catch {
    // Not TCP (a Unix socket): resetAndDestroy refuses it; closing is all there is.
  }
  response.destroy();
}
