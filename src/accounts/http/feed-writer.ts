import type { ServerResponse } from 'node:http';

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
 * memory: Node queues whatever the socket cannot take, without limit. The stream is destroyed
 * (not ended: ending would queue behind the same backlog) once the queue would pass
 * `maxBufferedBytes`, or once it has not drained for `drainTimeoutMs`. Its changes are not
 * lost to the reader: a client that sees the stream end reconnects and reads the state afresh.
 */
export function createFeedWriter(response: ServerResponse, limits: FeedWriterLimits, onDrop: (reason: DropReason, bufferedBytes: number) => void) {
  let drainTimer: NodeJS.Timeout | undefined;
  let dropped = false;

  const stopWaiting = () => {
    clearTimeout(drainTimer);
    drainTimer = undefined;
  };
  const drop = (reason: DropReason) => {
    if (dropped) return;
    dropped = true;
    stopWaiting();
    onDrop(reason, response.writableLength);
    response.destroy();
  };
  response.on('drain', stopWaiting);
  response.on('close', stopWaiting);

  return {
    write(text: string): void {
      if (dropped || response.destroyed) return;
      if (response.writableLength + Buffer.byteLength(text) > limits.maxBufferedBytes) return drop('buffer');
      if (!response.write(text) && drainTimer === undefined) {
        drainTimer = setTimeout(() => drop('drain'), limits.drainTimeoutMs);
        drainTimer.unref();
      }
    },
  };
}
