/**
 * Durations as operators type them: a whole number and a unit, `30m`, `12h`, `7d`. One unit per
 * value; `90m` rather than `1h30m`. Returns milliseconds.
 */
const UNIT_MS = {
  s: 1000,
  m: 60 * 1000,
  h: 60 * 60 * 1000,
  d: 24 * 60 * 60 * 1000,
  w: 7 * 24 * 60 * 60 * 1000,
} as const;

export const DURATION_HINT = 'a whole number and a unit: s, m, h, d or w (e.g. 30m, 12h, 7d)';

export class DurationError extends Error {
  constructor(input: string) {
    super(`"${input}" is not a duration: expected ${DURATION_HINT}`);
    this.name = 'DurationError';
  }
}

export function parseDuration(input: string): number {
  const match = /^(\d+)([smhdw])$/.exec(input.trim());
  if (!match) throw new DurationError(input);
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (!Number.isSafeInteger(ms)) throw new DurationError(input);
  return ms;
}
