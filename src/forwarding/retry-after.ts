/** Longest Retry-After honoured: a target asking for more is retried after this. */
export const MAX_RETRY_AFTER_MS = 24 * 3600 * 1000;
/** Shortest: "Retry-After: 0" must not turn the retries into a busy loop. */
export const MIN_RETRY_AFTER_MS = 1000;

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '\\d{2}:\\d{2}:\\d{2}';
const HTTP_DATE = new RegExp(
  `^(?:${DAY}, \\d{2} ${MONTH} \\d{4} ${TIME} GMT|${LONG_DAY}, \\d{2}-${MONTH}-\\d{2} ${TIME} GMT|${DAY} ${MONTH} [ \\d]\\d ${TIME} \\d{4})$`,
);

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
    // Only the date shapes HTTP allows (IMF-fixdate, RFC 850, asctime): Date.parse alone would
    // read "1.5" or "-1" as a date long past, and retry every second.
    if (!HTTP_DATE.test(value)) return undefined;
    const at = Date.parse(value);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(MIN_RETRY_AFTER_MS, ms));
}
