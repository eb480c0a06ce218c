import type { EventName } from '../../events/catalog.js';
import type { Handler } from '../types.js';
import type { AccountStore } from './account-store.js';

export const PROFILE_EVENTS = ['kakao.user-profile-changed'] as const satisfies readonly EventName[];

/** Claims of a SET event that describe the event, not the profile. */
const NOT_PROFILE = new Set(['subject', 'event_timestamp', 'initiating_entity', 'reason_admin', 'reason_user']);

/** Stores the changed profile fields (email, nickname, ...) with last-writer-wins on event time. */
export function syncProfile(store: AccountStore): Handler<(typeof PROFILE_EVENTS)[number]> {
  return async (event, { log }) => {
    if (!event.subject) {
      log.warn('profile event names no user; ignored');
      return;
    }
    const fields = Object.fromEntries(Object.entries(event.data).filter(([key]) => !NOT_PROFILE.has(key)));
    await store.updateProfile(event.provider, event.subject.id, fields, new Date(event.occurredAt));
    log.info({ userId: event.subject.id, fields: Object.keys(fields) }, 'profile synced');
  };
}
