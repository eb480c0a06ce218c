import type { AccountChange, AccountState, AccountStatus } from '../model.js';
import type { SessionFacts } from '../session-check.js';

/**
 * What the session guard keeps per user: the session facts plus the status's event time, which
 * orders two reports of the status. A user the API does not know is cached as active, never
 * revoked, with no status time: exactly what the server answers for such a user.
 */
export interface CachedFacts extends SessionFacts {
  status: AccountStatus;
  /** Epoch ms of the event that set the status; null when none has. */
  statusAt: number | null;
}

const ms = (iso: string | null) => (iso === null ? null : Date.parse(iso));

export const UNKNOWN_USER: CachedFacts = Object.freeze({ status: 'active', statusAt: null, sessionsRevokedAt: null });

export const factsOfState = (state: AccountState | null): CachedFacts =>
  state ? { status: state.status.value, statusAt: ms(state.status.at), sessionsRevokedAt: ms(state.sessionsRevokedAt) } : UNKNOWN_USER;

export const factsOfChange = (change: AccountChange): CachedFacts => ({
  status: change.status,
  statusAt: ms(change.statusAt),
  sessionsRevokedAt: ms(change.sessionsRevokedAt),
});

/**
 * Merges two reports of one user's facts, `newer` being a feed message (or the later one of two):
 * revocations only move forward, so the later instant wins; the status set by the later event
 * wins, a status no event set is the oldest, and on a tie `newer` is kept. Both reports are the
 * server's whole state at some moment, so neither alone can be trusted to be the last one.
 */
export function mergeFacts(older: CachedFacts, newer: CachedFacts): CachedFacts {
  const revoked = older.sessionsRevokedAt === null ? newer.sessionsRevokedAt : Math.max(older.sessionsRevokedAt, newer.sessionsRevokedAt ?? -Infinity);
  const olderWins = older.statusAt !== null && (newer.statusAt === null || older.statusAt > newer.statusAt);
  const status = olderWins ? older : newer;
  return { status: status.status, statusAt: status.statusAt, sessionsRevokedAt: revoked };
}
