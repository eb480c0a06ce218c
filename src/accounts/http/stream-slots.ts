/** Why a stream was refused; the label values of account_change_streams_refused_total. */
export type SlotRefusal = 'token_limit' | 'process_limit';

export interface StreamSlotLimits {
  /** Streams the process holds at once. */
  total: number;
  /** Streams one token holds at once. */
  perToken: number;
}

/**
 * Counts the change feed's open streams, in total and per token, so that one token (or all of
 * them) cannot take every connection the process accepts. A slot is taken before the stream
 * subscribes to the store, so refused requests cost no subscription.
 */
export function createStreamSlots(limits: StreamSlotLimits) {
  const perToken = new Map<string, number>();
  let open = 0;
  return {
    get open() {
      return open;
    },
    /** A release function (idempotent), or why the stream is refused. */
    take(token: string): (() => void) | SlotRefusal {
      const held = perToken.get(token) ?? 0;
      if (held >= limits.perToken) return 'token_limit';
      if (open >= limits.total) return 'process_limit';
      perToken.set(token, held + 1);
      open += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        open -= 1;
        const left = perToken.get(token)! - 1;
        if (left === 0) perToken.delete(token);
        else perToken.set(token, left);
      };
    },
  };
}
