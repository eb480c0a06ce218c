import type { EventOf } from '../events/catalog.js';
import type { HandlerContext } from '../handlers/types.js';
import { accountUpdateOf, ACCOUNT_EVENT_NAMES } from './event-actions.js';
import { changeOfAppliedUpdate } from './merge.js';
import type { AccountChange } from './model.js';
import type { AccountStateStore } from './store.js';

export { ACCOUNT_EVENT_NAMES };

export interface AccountStateHandlerOptions {
  store: AccountStateStore;
  /**
   * After a purge is stored: forget what else the service retains about the user (failed jobs).
   * Runs on every delivery of a purging event, so a retry finishes what a failed attempt began.
   */
  onPurged?: (purge: { provider: AccountChange['provider']; userId: string; deletedAt: Date; eventId: string }) => Promise<void>;
}

/**
 * The built-in handler that keeps the account state: it turns an event into an update with the
 * event -> action table and merges it. Idempotent: the same event twice leaves the same state and
 * publishes one change. Logs name the fields that changed, never their values. Resolves with the
 * change the event made (rebuilt from the stored state when an earlier attempt stored it), or null
 * when it changed nothing (the forward handler sends it on).
 */
export function accountStateHandler(options: AccountStateHandlerOptions): (event: EventOf, context: HandlerContext) => Promise<AccountChange | null> {
  return async (event, { log }) => {
    const outcome = accountUpdateOf(event);
    if ('skip' in outcome) {
      log.debug({ reason: outcome.skip }, 'account state unchanged');
      return null;
    }
    const { update } = outcome;
    const change = await options.store.apply(update);
    if (update.purge) await options.onPurged?.({ provider: update.provider, userId: update.userId, deletedAt: new Date(update.event.at), eventId: event.id });
    if (!change) {
      log.debug({ userId: update.userId }, 'account state already reflects this event');
      // A retried job whose first attempt stored the change: say what the event did, not "nothing".
      const stored = await options.store.get(update.provider, update.userId);
      return stored ? changeOfAppliedUpdate(update, stored) : null;
    }
    log.info({ userId: update.userId, changes: change.changes, status: change.status, fields: Object.keys(update.profile ?? {}) }, 'account state updated');
    return change;
  };
}
