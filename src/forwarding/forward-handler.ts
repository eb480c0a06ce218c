import type { AccountChange } from '../accounts/model.js';
import type { EventOf } from '../events/catalog.js';
import type { Handler } from '../handlers/types.js';
import type { Forwarder } from './forwarder.js';

export interface ForwardHandlerOptions {
  forwarder: Forwarder;
  /**
   * The account-state handler's result for this event: a promise of the change it stored (null:
   * none), or undefined when that handler does not handle the event. The forward handler waits
   * for it, so the forwarded payload says what the event did to the account.
   */
  accountChangeOf: (event: EventOf) => Promise<AccountChange | null> | undefined;
}

/**
 * The built-in forward handler: stores one delivery job per target that wants the event. It only
 * enqueues; the delivery workers POST, so a slow application never holds the event's job, and a
 * delivery's retries never run the event's handlers again.
 */
export function forwardHandler(options: ForwardHandlerOptions): Handler {
  return async (event, { log }) => {
    const targets = options.forwarder.targetsFor(event.type);
    if (targets.length === 0) return;
    const pending = options.accountChangeOf(event);
    let accountChange: AccountChange | null | undefined;
    if (pending) {
      try {
        accountChange = await pending;
      } catch (error) {
        // The account-state handler failed: the job retries both, and forwarding then says what happened.
        throw new Error('not forwarded yet: the account state was not stored (the event is retried)', { cause: error });
      }
    }
    await options.forwarder.enqueue(event, accountChange);
    log.debug({ targets }, 'queued for forwarding');
  };
}
