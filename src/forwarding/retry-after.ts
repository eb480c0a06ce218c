/** Longest Retry-After honoured: a target asking for more is retried after this. */
export const MAX_RETRY_AFTER_MS = 24 * 3600 * 1000;
/** Shortest: "Retry-After: 0" must not turn the retries into a busy loop. */
export const MIN_RETRY_AFTER_MS = 1000;

/**
 * A Retry-After header (RFC 9110 10.2.3): delay-seconds or an HTTP-date. Undefined when absent
 * or unparseable, so the usual backoff applies.
 */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  let ms: number;
  if (/^\d+$/.test(value)) ms = Number(value) * 1000;
  else {
    const at = Date.parse(value);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(MIN_RETRY_AFTER_MS, ms));
}
