import type { AccountStatus } from './model.js';

/** Why a session is refused; null when it is allowed. */
export type SessionRefusal = 'sessions-revoked' | 'account-disabled' | 'account-unlinked' | 'account-deleted';

export interface SessionCheck {
  allowed: boolean;
  reason: SessionRefusal | null;
  /** ISO 8601: sessions issued before this instant are refused; null if none has been revoked. */
  revokedAt: string | null;
  /** The account's status; `active` for a user no event has named. */
  status: AccountStatus;
}

/** The two facts a session check needs: what the API sends and what the feed keeps current. */
export interface SessionFacts {
  status: AccountStatus;
  /** Epoch ms, or null. */
  sessionsRevokedAt: number | null;
}

/**
 * A session is refused when the account is not active, or when it was issued before the latest
 * revocation. A user no event has named is allowed: nothing has said otherwise. Used by the API
 * and by the client's session guard, so both answer alike.
 */
export function checkSessionFacts(facts: SessionFacts | null, issuedAtMs: number): SessionCheck {
  const status = facts?.status ?? 'active';
  const revokedAt = facts?.sessionsRevokedAt ?? null;
  const base = { status, revokedAt: revokedAt === null ? null : new Date(revokedAt).toISOString() };
  if (status !== 'active') return { ...base, allowed: false, reason: `account-${status}` as SessionRefusal };
  if (revokedAt !== null && issuedAtMs < revokedAt) return { ...base, allowed: false, reason: 'sessions-revoked' };
  return { ...base, allowed: true, reason: null };
}

/**
 * `issuedAt` as an ISO 8601 date-time (with a time zone) or epoch milliseconds; NaN when it is
 * neither, so the caller can answer 400. Date-only strings and local times are refused: their
 * instant depends on the reader's time zone.
 */
export function parseIssuedAt(value: unknown): number {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : Number.NaN;
  if (typeof value !== 'string') return Number.NaN;
  if (/^\d{1,15}$/.test(value)) return Number(value);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i.test(value)) return Number.NaN;
  return Date.parse(value);
}
