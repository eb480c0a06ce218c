import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forwardBackoff, RetryableDeliveryError } from '../../src/forwarding/delivery-workers.js';

const CONFIG = { backoffMs: 5000, maxBackoffMs: 3_600_000 };

// BullMQ calls the strategy with the attempts made so far: 1 before the first retry.
const delays = (backoff: ReturnType<typeof forwardBackoff>, count: number) => Array.from({ length: count }, (_, i) => backoff(i + 1));

describe('forwardBackoff', () => {
  it('doubles from backoffMs up to maxBackoffMs (no jitter when random is 0)', () => {
    expect(delays(forwardBackoff(CONFIG, () => 0), 13)).toEqual([
      5000, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 640_000, 1_280_000, 2_560_000, 3_600_000, 3_600_000, 3_600_000,
    ]);
  });

  it('takes off at most a quarter at random', () => {
    expect(delays(forwardBackoff(CONFIG, () => 1), 12)).toEqual([
      3750, 7500, 15_000, 30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 2_700_000, 2_700_000,
    ]);
    expect(forwardBackoff(CONFIG, () => 0.5)(2)).toBe(8750);
  });

  it('treats a first call with no attempts made like the first retry', () => {
    expect(forwardBackoff(CONFIG, () => 0)(0)).toBe(5000);
  });

  it('stays a finite number at the cap after very many attempts', () => {
    const backoff = forwardBackoff(CONFIG, () => 0);
    expect(backoff(100)).toBe(3_600_000);
    expect(backoff(5000)).toBe(3_600_000);
  });

  it('uses the configured values', () => {
    expect(delays(forwardBackoff({ backoffMs: 100, maxBackoffMs: 350 }, () => 0), 5)).toEqual([100, 200, 350, 350, 350]);
  });

  it('never exceeds the cap nor goes under three quarters of the exponential delay', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 0, max: 200 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (backoffMs, maxBackoffMs, attemptsMade, random) => {
          const delay = forwardBackoff({ backoffMs, maxBackoffMs }, () => random)(attemptsMade);
          const full = Math.min(maxBackoffMs, backoffMs * 2 ** Math.max(0, attemptsMade - 1));
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeLessThanOrEqual(maxBackoffMs);
          expect(delay).toBeLessThanOrEqual(full);
          expect(delay).toBeGreaterThanOrEqual(Math.floor(full * 0.75));
        },
      ),
    );
  });

  it('gives a plain Error (one without a Retry-After) the exponential delay', () => {
    const backoff = forwardBackoff(CONFIG, () => 0);
    expect(backoff(3, 'forward', new Error('target default answered 500'))).toBe(20_000);
    expect(backoff(1, 'forward', new Error('x'))).toBe(5000);
  });

  it("lets the target's Retry-After win over the exponential delay, shorter or longer", () => {
    const backoff = forwardBackoff(CONFIG, () => 0);
    expect(backoff(6, 'forward', new RetryableDeliveryError('target default answered 429', 2000))).toBe(2000);
    expect(backoff(1, 'forward', new RetryableDeliveryError('target default answered 503', 7_200_000))).toBe(7_200_000);
    expect(forwardBackoff(CONFIG, () => 1)(1, 'forward', new RetryableDeliveryError('x', 2000))).toBe(2000);
  });

  it('gives a RetryableDeliveryError without a Retry-After the exponential delay', () => {
    expect(forwardBackoff(CONFIG, () => 0)(3, 'forward', new RetryableDeliveryError('target default answered 500', undefined))).toBe(20_000);
  });
});
