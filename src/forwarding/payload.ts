import type { AccountChange } from '../accounts/model.js';
import type { EventOf } from '../events/catalog.js';

/**
 * The JSON body of every forwarded event: the event envelope as handlers see it, plus what the
 * account-state handler made of it. One shape for every provider and type, so an application in
 * any language reads `type` and `data` the way it reads `event.type` and `event.data` here.
 * Documented in README.md ("Forwarding events to your application").
 */
export type ForwardedEvent = EventOf & {
  /**
   * Present when the account-state handler handles this event type: the change it stored (status,
   * sessions revoked, which kinds of fields changed; never the values), or null when the event
   * changed nothing (older than the stored state, or nothing to apply).
   */
  accountChange?: AccountChange | null;
};

export function forwardedEvent(event: EventOf, accountChange: AccountChange | null | undefined): ForwardedEvent {
  return accountChange === undefined ? { ...event } : { ...event, accountChange };
}
