import { createParser } from 'eventsource-parser';
import type { AccountChange } from '../model.js';
import { AccountClientError, errorOf, networkError } from './errors.js';

export interface ChangeHandlers {
  /** The subscription is live: every change stored from now on is delivered. */
  onReady?(): void;
  /**
   * One change. If it throws, the stream ends with that error: a subscriber that could not take a
   * change in must not go on as if it had.
   */
  onChange(change: AccountChange): void;
  /**
   * The stream ended other than by the caller's abort: `error` is undefined when the server ended
   * it (its own feed was interrupted). Either way changes may have been missed: drop what is cached.
   */
  onDisconnect?(error?: AccountClientError): void;
}

export interface FeedRequest {
  url: string;
  headers: Record<string, string>;
  fetch: typeof fetch;
  /** Until the response headers arrive. */
  connectTimeoutMs: number;
  /** Without a byte for this long (the server pings every 15 s) the connection is taken for dead. */
  idleTimeoutMs: number;
}

/**
 * Reads the change feed (Server-Sent Events) until it ends. Resolves when the server ends the
 * stream or the caller aborts; rejects with an AccountClientError when it cannot connect, is
 * refused, or breaks. `onDisconnect` is called first in every case but the caller's abort.
 */
export async function readChangeFeed(request: FeedRequest, handlers: ChangeHandlers, signal?: AbortSignal): Promise<void> {
  const controller = new AbortController();
  const abort = () => controller.abort(signal?.reason);
  if (signal?.aborted) return;
  signal?.addEventListener('abort', abort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = (ms: number, why: string) => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new AccountClientError(0, 'ERR_TIMEOUT', `the change feed: ${why}`)), ms);
  };

  try {
    deadline(request.connectTimeoutMs, `no answer within ${request.connectTimeoutMs} ms`);
    const response = await request.fetch(request.url, { headers: { ...request.headers, accept: 'text/event-stream' }, signal: controller.signal });
    if (!response.ok) throw await errorOf(response);
    if (!response.body || !/^text\/event-stream/i.test(response.headers.get('content-type') ?? '')) {
      await response.body?.cancel();
      throw new AccountClientError(response.status, 'ERR_NOT_EVENT_STREAM', 'the change feed did not answer with text/event-stream');
    }
    const parser = createParser({
      onEvent(event) {
        if (event.event === 'ready') guarded('ERR_FEED_HANDLER', 'onReady threw', () => handlers.onReady?.());
        if (event.event !== 'change') return;
        const change = guarded('ERR_FEED_MESSAGE', 'an unreadable change message', () => JSON.parse(event.data) as AccountChange);
        guarded('ERR_FEED_HANDLER', 'onChange threw', () => handlers.onChange(change));
      },
    });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      deadline(request.idleTimeoutMs, `silent for ${request.idleTimeoutMs} ms`);
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(value);
    }
    if (signal?.aborted) return;
    handlers.onDisconnect?.();
  } catch (error) {
    if (signal?.aborted) return;
    // Our own deadline aborts fetch with its reason; anything else is the network or a handler.
    const reason = controller.signal.aborted ? controller.signal.reason : error;
    const failure = reason instanceof AccountClientError ? reason : networkError(reason, 'the change feed');
    handlers.onDisconnect?.(failure);
    throw failure;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', abort);
    controller.abort(); // releases the connection if the loop left early
  }
}

/** Runs `work`, turning what it throws into an AccountClientError that ends the stream. */
function guarded<T>(code: string, what: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw new AccountClientError(0, code, `the change feed: ${what}: ${String((error as Error)?.message ?? error)}`, undefined, { cause: error });
  }
}
