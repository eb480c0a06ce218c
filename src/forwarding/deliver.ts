import { retryAfterMs } from './retry-after.js';
import type { SignatureHeaders } from './sign.js';

/** The attempt outcomes, a fixed set: the `outcome` label of the forwarding metrics. */
export type AttemptOutcome = 'delivered' | 'rate_limited' | 'server_error' | 'timeout' | 'connection_error' | 'rejected' | 'redirected';

export type AttemptResult =
  | { outcome: 'delivered'; status: number }
  | {
      outcome: Exclude<AttemptOutcome, 'delivered'>;
      /** True when retrying can help; false when only changing the target or the app can. */
      retryable: boolean;
      status?: number;
      /** The target's Retry-After, when it sent one. */
      retryAfterMs?: number;
      /** For the failed job's reason: status, and at most a short excerpt of the answer. */
      detail: string;
      /**
       * For the log: the same without the excerpt. An application's answer may echo what it was
       * sent (an email address, say), and log lines outlive the purge of a user.
       */
      summary: string;
    };

/** How much of a target's answer is ever read, and how much of it reaches logs and failed jobs. */
const READ_AT_MOST_BYTES = 1024;
const EXCERPT_CHARS = 200;

export interface DeliveryRequest {
  url: string;
  body: string;
  headers: SignatureHeaders;
  timeoutMs: number;
  /** Aborted when the worker gives up on the job. */
  signal?: AbortSignal;
  userAgent: string;
}

/**
 * One POST to a target, classified as the Standard Webhooks specification suggests: 2xx is done;
 * 408, 429 and 5xx, timeouts and connection errors are worth a retry (Retry-After honoured);
 * any other answer, redirects included (they are not followed), fails for good, because the same
 * request will get the same answer until someone changes the target.
 */
export async function deliver(request: DeliveryRequest): Promise<AttemptResult> {
  const timeout = AbortSignal.timeout(request.timeoutMs);
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: 'POST',
      body: request.body,
      headers: { 'content-type': 'application/json', 'user-agent': request.userAgent, ...request.headers },
      redirect: 'manual',
      signal: request.signal ? AbortSignal.any([timeout, request.signal]) : timeout,
    });
  } catch (error) {
    if (timeout.aborted) return { outcome: 'timeout', retryable: true, ...both(`no answer within ${request.timeoutMs} ms`) };
    if (request.signal?.aborted) return { outcome: 'connection_error', retryable: true, ...both('abandoned: the worker is shutting down') };
    return { outcome: 'connection_error', retryable: true, ...both(`cannot reach the target: ${networkReason(error)}`) };
  }
  const { status } = response;
  if (status >= 200 && status < 300) {
    // The answer's body means nothing to us: not read, so a slow one cannot hold the slot.
    await response.body?.cancel().catch(() => {});
    return { outcome: 'delivered', status };
  }
  const excerpt = await readExcerpt(response).catch(() => '');

  const said = { detail: `answered ${status}${excerpt ? `: ${excerpt}` : ''}`, summary: `answered ${status}` };
  if (status === 429) return { outcome: 'rate_limited', retryable: true, status, ...withRetryAfter(response), ...said };
  if (status === 408 || status >= 500) return { outcome: 'server_error', retryable: true, status, ...withRetryAfter(response), ...said };
  if (status >= 300 && status < 400) {
    return { outcome: 'redirected', retryable: false, status, ...both(`answered ${status} (a redirect, not followed: set the target's URL to where it points)`) };
  }
  const hint = status === 410 ? ' (410 Gone: the application asks for no more deliveries; remove the target)' : '';
  return { outcome: 'rejected', retryable: false, status, detail: `${said.detail}${hint}`, summary: `${said.summary}${hint}` };
}

/** A message with no excerpt in it: the same for the job and the log. */
const both = (message: string) => ({ detail: message, summary: message });

function withRetryAfter(response: Response): { retryAfterMs?: number } {
  const ms = retryAfterMs(response.headers.get('retry-after'));
  return ms === undefined ? {} : { retryAfterMs: ms };
}

/** Reads at most READ_AT_MOST_BYTES of the answer and drops the rest; one line, control characters replaced. */
async function readExcerpt(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < READ_AT_MOST_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const text = Buffer.concat(chunks).subarray(0, READ_AT_MOST_BYTES).toString('utf8');
  // eslint-disable-next-line no-control-regex
  const line = text.replace(/[\x00-\x1f\x7f-\x9f\s]+/g, ' ').trim();
  return line.length > EXCERPT_CHARS ? `${line.slice(0, EXCERPT_CHARS)}…` : line;
}

/** undici's "fetch failed" hides the reason in `cause`: ECONNREFUSED, a TLS error, a DNS failure. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return error instanceof Error ? error.message : String(error);
}
