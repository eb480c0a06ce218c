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
  'logto.User.Deleted',
  // Only when the user was suspended; the same event reports lifting a suspension.
  'logto.User.SuspensionStatus.Updated',
  // A password reset is how a user takes back an account: sessions from before it are suspect.
  'logto.PostResetPassword',
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
    if (event.type === 'logto.User.SuspensionStatus.Updated' && event.data.data?.isSuspended !== true) {
      log.info({ userId: event.subject.id }, 'suspension lifted or not stated; sessions left alone');
      return;
    }
    await store.revokeSessions(event.provider, event.subject.id, new Date(event.occurredAt));
    log.info({ userId: event.subject.id }, 'sessions revoked');
  };
}
