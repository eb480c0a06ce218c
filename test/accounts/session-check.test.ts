import { describe, expect, it } from 'vitest';
import { checkSessionFacts, parseIssuedAt } from '../../src/accounts/session-check.js';

describe('session checks', () => {
  it('allows an unknown user, refuses sessions issued before the watermark and every session of an inactive account', () => {
    expect(checkSessionFacts(null, 0)).toEqual({ allowed: true, reason: null, revokedAt: null, status: 'active' });
    const facts = { status: 'active' as const, sessionsRevokedAt: 1000 };
    expect(checkSessionFacts(facts, 999)).toMatchObject({ allowed: false, reason: 'sessions-revoked', revokedAt: '1970-01-01T00:00:01.000Z' });
    expect(checkSessionFacts(facts, 1000)).toMatchObject({ allowed: true });
    for (const status of ['disabled', 'unlinked', 'deleted'] as const) {
      expect(checkSessionFacts({ status, sessionsRevokedAt: null }, 5000)).toMatchObject({ allowed: false, reason: `account-${status}` });
    }
  });

  it('reads ISO 8601 with a zone or epoch milliseconds, and nothing else', () => {
    expect(parseIssuedAt('2026-01-01T00:00:00Z')).toBe(Date.UTC(2026, 0, 1));
    expect(parseIssuedAt('2026-01-01T09:00:00.5+09:00')).toBe(Date.UTC(2026, 0, 1) + 500);
    expect(parseIssuedAt('1767225600000')).toBe(1767225600000);
    expect(parseIssuedAt(1767225600000)).toBe(1767225600000);
    for (const bad of ['2026-01-01', '2026-01-01T00:00:00', 'now', '', '1.5', '-1', '2026-13-45T99:99:99Z', 1.5, -1, null, {}]) {
      expect(parseIssuedAt(bad), String(bad)).toBeNaN();
    }
  });
});
