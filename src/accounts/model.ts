import type { Provider } from '../events/envelope.js';

/**
 * The account state kept per (provider, user id), as applications read it. Every part carries the
 * event time that set it, so that each part can be merged on its own: the state after a set of
 * events is the same whatever order they arrive in (see merge.ts).
 */
export type AccountStatus = 'active' | 'disabled' | 'unlinked' | 'deleted';

export const ACCOUNT_STATUSES: readonly AccountStatus[] = ['active', 'disabled', 'unlinked', 'deleted'];

export const PROVIDERS: readonly Provider[] = ['kakao', 'logto'];

/**
 * The longest user id the account API takes, in UTF-16 code units after percent-decoding. The
 * router refuses a longer path parameter by the same bound (src/http/app.ts), so both answer
 * alike: a `400` that names the limit.
 */
export const MAX_USER_ID_LENGTH = 256;

/** What the account-state API answers for one user (`GET /v1/accounts/:provider/:userId`). */
export interface AccountState {
  provider: Provider;
  userId: string;
  /** `at` is null while no event has set a status: an account is active until told otherwise. */
  status: { value: AccountStatus; at: string | null };
  /** Every session issued before this instant must end; null if no event has revoked sessions. */
  sessionsRevokedAt: string | null;
  /** When the account was deleted (purged); null if it never was. */
  deletedAt: string | null;
  /** Each field with the time it was reported at. Empty after a purge. */
  profile: Record<string, { value: unknown; at: string }>;
  /** Kakao consent items (scopes): granted or withdrawn, with the time of that event. */
  consent: Record<string, { state: 'granted' | 'withdrawn'; at: string }>;
  /** Kakao Talk Channel relations by channel public id. */
  channels: Record<string, { relation: 'added' | 'blocked'; at: string }>;
  /** The newest event (by event time) that was applied. */
  lastEvent: { id: string; type: string; at: string } | null;
}

/** Orders two facts about one part of the state: later event time wins, the event id breaks ties. */
export interface Stamp {
  /** Event time, epoch ms. */
  at: number;
  eventId: string;
}

/**
 * The stored form: like AccountState, but every part keeps its stamp, and a field cleared by a
 * consent withdrawal keeps a value-less marker so that an older update cannot bring it back.
 */
export interface StoredAccount {
  status: (Stamp & { value: AccountStatus }) | null;
  sessionsRevokedAt: number | null;
  deletedAt: number | null;
  profile: Record<string, Stamp & ({ value: unknown } | { cleared: true })>;
  consent: Record<string, Stamp & { state: 'granted' | 'withdrawn' }>;
  channels: Record<string, Stamp & { relation: 'added' | 'blocked' }>;
  lastEvent: (Stamp & { type: string }) | null;
}

export const emptyAccount = (): StoredAccount => ({
  status: null,
  sessionsRevokedAt: null,
  deletedAt: null,
  profile: {},
  consent: {},
  channels: {},
  lastEvent: null,
});

/**
 * What one event does to one account, as decided by the event -> action table (event-actions.ts).
 * Every part is optional; an update with none of them only records the event as `lastEvent`.
 */
export interface AccountUpdate {
  provider: Provider;
  userId: string;
  event: { id: string; type: string; at: number };
  status?: AccountStatus;
  revokeSessions?: boolean;
  /** Delete profile, consent and channel data older than the event; keep a tombstone. */
  purge?: boolean;
  /** Field values reported at `profileAt` (defaults to the event time). */
  profile?: Record<string, unknown>;
  profileAt?: number;
  /** Fields to forget (consent withdrawn); a later report may set them again. */
  clearFields?: readonly string[];
  consent?: { state: 'granted' | 'withdrawn'; scopes: readonly string[] };
  channel?: { id: string; relation: 'added' | 'blocked' };
}

/** The parts of the state an update changed, most significant first. */
export type ChangeKind = 'purged' | 'sessions-revoked' | 'status-changed' | 'profile-updated' | 'consent-changed' | 'channel-changed' | 'recorded';

/**
 * One message of the change feed (Redis pub/sub, PostgreSQL NOTIFY, Server-Sent Events). Small,
 * and never a profile value: an application that wants the profile reads it through the API.
 */
export interface AccountChange {
  provider: Provider;
  userId: string;
  /** The most significant kind in `changes`. */
  action: ChangeKind;
  changes: ChangeKind[];
  status: AccountStatus;
  statusAt: string | null;
  sessionsRevokedAt: string | null;
  eventId: string;
  eventType: string;
  /** The event's time. */
  at: string;
  /** When the change was stored. */
  publishedAt: string;
}
