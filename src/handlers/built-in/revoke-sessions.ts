import type { EventName } from '../../events/catalog.js';
import type { Handler } from '../types.js';
import type { AccountStore } from './account-store.js';

/** Events after which none of the user's existing sessions may be trusted. */
export const SESSION_REVOKING_EVENTS = [
  'kakao.user-unlinked',
  'kakao.unlinked', // the unlink webhook: same meaning as the SET's user-unlinked
  'kakao.tokens-revoked',
  'kakao.account-disabled',
  'kakao.account-purged',
  'kakao.credential-change',
  'kakao.credential-compromise',
  'kakao.sessions-revoked',
  'kakao.session-revoked',
] as const satisfies readonly EventName[];

/**
 * Ends every session that started before the event (RFC 8417 5.4: act on sessions established
 * before the event time, not on ones the user opened afterwards).
 */
export function revokeSessions(store: AccountStore): Handler<(typeof SESSION_REVOKING_EVENTS)[number]> {
  return async (event, { log }) => {
    if (!event.subject) {
      log.warn('event names no user; no session to revoke');
      return;
    }
    await store.revokeSessions(event.provider, event.subject.id, new Date(event.occurredAt));
    log.info({ userId: event.subject.id }, 'sessions revoked');
  };
}
