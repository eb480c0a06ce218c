import { describe, expect, it } from 'vitest';
import { DurationError, parseDuration } from '../../src/cli/duration.js';

describe('parseDuration', () => {
  it.each([
    ['45s', 45_000],
    ['30m', 30 * 60_000],
    ['12h', 12 * 3_600_000],
    ['7d', 7 * 86_400_000],
    ['2w', 14 * 86_400_000],
    ['0d', 0],
    [' 90m ', 90 * 60_000],
  ])('reads %s', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(['', '7', 'd', '7x', '7 d', '1.5h', '-1d', '1h30m', '7D', '30days', '99999999999999999999d'])('refuses %j', (input) => {
    expect(() => parseDuration(input)).toThrow(DurationError);
  });

  it('names the units it accepts in its error', () => {
    expect(() => parseDuration('7x')).toThrow(/"7x" is not a duration: expected .*s, m, h, d or w/);
  });
});
