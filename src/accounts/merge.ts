import type { AccountChange, AccountState, AccountStatus, AccountUpdate, ChangeKind, Stamp, StoredAccount } from './model.js';

/**
 * Applies one update to a stored account. Every part of the state is merged on its own by event
 * time, never by arrival:
 * - status: the newest status-setting event wins; at equal times the more restrictive status
 *   wins, then the larger event id, so ties are decided the same way on every replica;
 * - sessionsRevokedAt and deletedAt: the maximum; they never move back;
 * - each profile field, consent item and channel: the newest report wins on its own stamp, and a
 *   cleared field wins a tie against a value (privacy first);
 * - a purge drops every profile, consent and channel entry not newer than the deletion, and an
 *   entry not newer than a known deletion is never stored.
 * Each rule is a max over a total order, so the result depends on the set of events applied, not
 * on their order, and applying an event twice changes nothing (test/accounts/merge.property.test.ts).
 */
export function mergeUpdate(current: StoredAccount, update: AccountUpdate): StoredAccount {
  const stamp: Stamp = { at: update.event.at, eventId: update.event.id };
  const next: StoredAccount = {
    status: current.status,
    sessionsRevokedAt: current.sessionsRevokedAt,
    deletedAt: current.deletedAt,
    profile: { ...current.profile },
    consent: { ...current.consent },
    channels: { ...current.channels },
    lastEvent: current.lastEvent,
  };

  if (update.status) {
    const candidate = { ...stamp, value: update.status };
    if (!next.status || statusWins(candidate, next.status)) next.status = candidate;
  }
  if (update.revokeSessions) next.sessionsRevokedAt = Math.max(next.sessionsRevokedAt ?? -Infinity, stamp.at);
  if (update.purge) next.deletedAt = Math.max(next.deletedAt ?? -Infinity, stamp.at);

  const profileStamp: Stamp = { at: update.profileAt ?? stamp.at, eventId: stamp.eventId };
  for (const [field, value] of Object.entries(update.profile ?? {})) {
    putIfNewer(next.profile, field, { ...profileStamp, value }, clearedFirst);
  }
  for (const field of update.clearFields ?? []) putIfNewer(next.profile, field, { ...stamp, cleared: true as const }, clearedFirst);
  for (const scope of update.consent?.scopes ?? []) {
    putIfNewer(next.consent, scope, { ...stamp, state: update.consent!.state }, (entry) => (entry.state === 'withdrawn' ? 1 : 0));
  }
  if (update.channel) {
    putIfNewer(next.channels, update.channel.id, { ...stamp, relation: update.channel.relation }, (entry) => (entry.relation === 'blocked' ? 1 : 0));
  }

  if (next.deletedAt !== null) {
    const deletedAt = next.deletedAt;
    for (const part of [next.profile, next.consent, next.channels] as Record<string, Stamp>[]) {
      for (const [key, entry] of Object.entries(part)) if (entry.at <= deletedAt) delete part[key];
    }
  }

  const last = { ...stamp, type: update.event.type };
  if (!next.lastEvent || newer(last, next.lastEvent)) next.lastEvent = last;
  return next;
}

/** Restrictiveness at equal event times: a deletion is never undone by a simultaneous link. */
const STATUS_RANK: Record<AccountStatus, number> = { active: 0, unlinked: 1, disabled: 2, deleted: 3 };

function statusWins(candidate: Stamp & { value: AccountStatus }, current: Stamp & { value: AccountStatus }): boolean {
  if (candidate.at !== current.at) return candidate.at > current.at;
  const rank = STATUS_RANK[candidate.value] - STATUS_RANK[current.value];
  return rank !== 0 ? rank > 0 : candidate.eventId > current.eventId;
}

/** True when `a` is strictly later than `b` by (time, event id). */
function newer(a: Stamp, b: Stamp): boolean {
  return a.at !== b.at ? a.at > b.at : a.eventId > b.eventId;
}

const clearedFirst = (entry: object) => ('cleared' in entry ? 1 : 0);

/** Stores `entry` under `key` unless the present entry is newer (or equally new and ranked higher). */
function putIfNewer<E extends Stamp>(part: Record<string, E>, key: string, entry: E, rank: (entry: E) => number): void {
  const present = part[key];
  if (present) {
    if (present.at > entry.at) return;
    if (present.at === entry.at) {
      const byRank = rank(entry) - rank(present);
      if (byRank < 0 || (byRank === 0 && !(entry.eventId > present.eventId))) return;
    }
  }
  part[key] = entry;
}

/** The stored account as applications see it: ISO times, no stamps, cleared fields left out. */
export function toAccountState(provider: AccountState['provider'], userId: string, stored: StoredAccount): AccountState {
  const iso = (ms: number) => new Date(ms).toISOString();
  const profile: AccountState['profile'] = {};
  for (const [field, entry] of Object.entries(stored.profile)) if ('value' in entry) profile[field] = { value: entry.value, at: iso(entry.at) };
  return {
    provider,
    userId,
    status: stored.status ? { value: stored.status.value, at: iso(stored.status.at) } : { value: 'active', at: null },
    sessionsRevokedAt: stored.sessionsRevokedAt === null ? null : iso(stored.sessionsRevokedAt),
    deletedAt: stored.deletedAt === null ? null : iso(stored.deletedAt),
    profile,
    consent: Object.fromEntries(Object.entries(stored.consent).map(([scope, entry]) => [scope, { state: entry.state, at: iso(entry.at) }])),
    channels: Object.fromEntries(Object.entries(stored.channels).map(([id, entry]) => [id, { relation: entry.relation, at: iso(entry.at) }])),
    lastEvent: stored.lastEvent ? { id: stored.lastEvent.eventId, type: stored.lastEvent.type, at: iso(stored.lastEvent.at) } : null,
  };
}

/** What changed between two stored states, most significant first; empty when nothing did. */
export function changeKinds(before: StoredAccount, after: StoredAccount): ChangeKind[] {
  const kinds: ChangeKind[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (before.deletedAt !== after.deletedAt) kinds.push('purged');
  if (before.sessionsRevokedAt !== after.sessionsRevokedAt) kinds.push('sessions-revoked');
  if (!same(before.status, after.status)) kinds.push('status-changed');
  if (!same(before.profile, after.profile)) kinds.push('profile-updated');
  if (!same(before.consent, after.consent)) kinds.push('consent-changed');
  if (!same(before.channels, after.channels)) kinds.push('channel-changed');
  if (kinds.length === 0 && !same(before.lastEvent, after.lastEvent)) kinds.push('recorded');
  return kinds;
}

/** The feed message for an applied update; never carries a profile value. */
export function changeMessage(update: AccountUpdate, after: StoredAccount, kinds: ChangeKind[], now = new Date()): AccountChange {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    provider: update.provider,
    userId: update.userId,
    action: kinds[0] ?? 'recorded',
    changes: kinds,
    status: after.status?.value ?? 'active',
    statusAt: iso(after.status?.at ?? null),
    sessionsRevokedAt: iso(after.sessionsRevokedAt),
    eventId: update.event.id,
    eventType: update.event.type,
    at: new Date(update.event.at).toISOString(),
    publishedAt: now.toISOString(),
  };
}

/**
 * The change an event made, rebuilt from a stored account it was already applied to: the parts
 * whose stamp names the event (or, for deletion and revocation, its time). For a retried event
 * job, whose first attempt stored the change and then failed (the next apply changes nothing).
 * Parts a newer event has since overwritten are no longer the event's, and are not listed; a
 * deletion or revocation that another event made at the very same instant is listed too (they
 * keep a time, not an event id). Null when nothing of the event is in the state (it was older
 * than what is stored).
 */
export function changeOfAppliedUpdate(update: AccountUpdate, stored: StoredAccount, now = new Date()): AccountChange | null {
  const id = update.event.id;
  const mine = (stamps: Record<string, { eventId: string }>) => Object.values(stamps).some((stamp) => stamp.eventId === id);
  const kinds: ChangeKind[] = [];
  if (update.purge && stored.deletedAt === update.event.at) kinds.push('purged');
  if (update.revokeSessions && stored.sessionsRevokedAt === update.event.at) kinds.push('sessions-revoked');
  if (stored.status?.eventId === id) kinds.push('status-changed');
  if (mine(stored.profile)) kinds.push('profile-updated');
  if (mine(stored.consent)) kinds.push('consent-changed');
  if (mine(stored.channels)) kinds.push('channel-changed');
  if (kinds.length === 0 && stored.lastEvent?.eventId === id) kinds.push('recorded');
  return kinds.length === 0 ? null : changeMessage(update, stored, kinds, now);
}
