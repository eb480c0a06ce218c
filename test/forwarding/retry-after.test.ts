import { describe, expect, it } from 'vitest';
import { MAX_RETRY_AFTER_MS, MIN_RETRY_AFTER_MS, retryAfterMs } from '../../src/forwarding/retry-after.js';

const NOW = Date.parse('2025-03-04T05:06:07Z');
const httpDate = (ms: number) => new Date(ms).toUTCString();

describe('retryAfterMs', () => {
  it('has the documented bounds', () => {
    expect(MIN_RETRY_AFTER_MS).toBe(1000);
    expect(MAX_RETRY_AFTER_MS).toBe(24 * 3600 * 1000);
  });

  it('no header: undefined (the usual backoff applies)', () => {
    expect(retryAfterMs(null, NOW)).toBeUndefined();
  });

  it('reads delay-seconds', () => {
    expect(retryAfterMs('2', NOW)).toBe(2000);
    expect(retryAfterMs('120', NOW)).toBe(120_000);
    expect(retryAfterMs(' 7 ', NOW)).toBe(7000);
    expect(retryAfterMs('0030', NOW)).toBe(30_000);
  });

  it('raises 0 to the minimum, so retries cannot become a busy loop', () => {
    expect(retryAfterMs('0', NOW)).toBe(MIN_RETRY_AFTER_MS);
  });

  it('caps a huge delay at MAX_RETRY_AFTER_MS', () => {
    expect(retryAfterMs(String(24 * 3600 + 1), NOW)).toBe(MAX_RETRY_AFTER_MS);
    expect(retryAfterMs(String(24 * 3600), NOW)).toBe(MAX_RETRY_AFTER_MS);
    expect(retryAfterMs('99999999999999999999999', NOW)).toBe(MAX_RETRY_AFTER_MS);
  });

  it('reads an HTTP-date in the future as the time until then', () => {
    expect(retryAfterMs(httpDate(NOW + 30_000), NOW)).toBe(30_000);
    expect(retryAfterMs('Tue, 04 Mar 2025 05:08:07 GMT', NOW)).toBe(120_000);
  });

  it('caps an HTTP-date far in the future', () => {
    expect(retryAfterMs(httpDate(NOW + 3 * 24 * 3600_000), NOW)).toBe(MAX_RETRY_AFTER_MS);
  });

  it('raises an HTTP-date in the past (or now) to the minimum', () => {
    expect(retryAfterMs(httpDate(NOW - 3600_000), NOW)).toBe(MIN_RETRY_AFTER_MS);
    expect(retryAfterMs(httpDate(NOW), NOW)).toBe(MIN_RETRY_AFTER_MS);
    expect(retryAfterMs(httpDate(NOW + 500), NOW)).toBe(MIN_RETRY_AFTER_MS);
  });

  it('uses the clock when no `now` is given', () => {
    const ms = retryAfterMs(httpDate(Date.now() + 60_000));
    expect(ms).toBeGreaterThan(50_000);
    expect(ms).toBeLessThanOrEqual(60_000);
  });

  it.each(['', 'soon', 'later please', '5s', '1e3', '0x10', 'NaN'])('ignores garbage: %j', (header) => {
    expect(retryAfterMs(header, NOW)).toBeUndefined();
  });

  // RFC 9110: Retry-After = HTTP-date / delay-seconds, delay-seconds = 1*DIGIT. Anything else
  // must fall back to the backoff; Date.parse is lenient and reads these as dates in the past,
  // which would retry every second until the attempts run out.
  it('ignores a value that is neither delay-seconds nor an HTTP-date (1.5, -1, foo 1, ...)', () => {
    for (const header of ['1.5', '120.5', '-1', '+5', 'foo 1', 'Retry 10']) expect(retryAfterMs(header, NOW), header).toBeUndefined();
  });
});
