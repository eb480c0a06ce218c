import type { EventName, EventOf } from '../../events/catalog.js';
import { logtoUserOf } from '../../providers/logto/user-of.js';
import type { Handler } from '../types.js';
import type { AccountStore } from './account-store.js';

export const PROFILE_EVENTS = [
  'kakao.user-profile-changed',
  'logto.User.Created',
  'logto.User.Data.Updated',
] as const satisfies readonly EventName[];

type ProfileEvent = EventOf<(typeof PROFILE_EVENTS)[number]>;

/** Claims of a SET event that describe the event, not the profile. */
const NOT_PROFILE = new Set(['subject', 'event_timestamp', 'initiating_entity', 'reason_admin', 'reason_user']);

/** The user fields Logto sends that describe the person; customData and identities stay out. */
const LOGTO_PROFILE_FIELDS = ['username', 'primaryEmail', 'primaryPhone', 'name', 'avatar'] as const;

/** Stores the changed profile fields (email, nickname, ...) with last-writer-wins on event time. */
export function syncProfile(store: AccountStore): Handler<(typeof PROFILE_EVENTS)[number]> {
  return async (event, { log }) => {
    if (!event.subject) {
      log.warn('profile event names no user; ignored');
      return;
    }
    const update = profileUpdateOf(event, event.subject.id);
    if (!update) {
      // e.g. PATCH /users/:id/custom-data, whose `data` is the customData alone.
      log.info({ userId: event.subject.id }, 'event carries no profile of this user; nothing to sync');
      return;
    }
    await store.updateProfile(event.provider, event.subject.id, update.fields, update.at);
    log.info({ userId: event.subject.id, fields: Object.keys(update.fields) }, 'profile synced');
  };
}

function profileUpdateOf(event: ProfileEvent, userId: string): { fields: Record<string, unknown>; at: Date } | undefined {
  if (event.type === 'kakao.user-profile-changed') {
    const fields = Object.fromEntries(Object.entries(event.data).filter(([key]) => !NOT_PROFILE.has(key)));
    return { fields, at: new Date(event.occurredAt) };
  }
  const user = logtoUserOf(event.data);
  if (!user || user.id !== userId) return undefined;
  // A cleared field arrives as null; the profile hash stores it as the empty string.
  const fields = Object.fromEntries(LOGTO_PROFILE_FIELDS.filter((key) => key in user).map((key) => [key, user[key] ?? '']));
  // Logto's createdAt is dispatch time and deliveries are unordered (logto.md 8.4); the user's
  // own updatedAt orders two updates the way the database saw them.
  return { fields, at: new Date(user.updatedAt ?? event.occurredAt) };
}
