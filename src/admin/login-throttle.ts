/**
 * Failed logins an address may make per window before it is refused. Ten a minute leave an
 * operator room for typos, and cut a guesser from thousands of tries a second to 14,400 a day.
 */
export const ADMIN_LOGIN_MAX_FAILURES = 10;
/** The window starts at an address's first failure; once it ends the address starts afresh. */
export const ADMIN_LOGIN_WINDOW_SECONDS = 60;
/**
 * Addresses remembered at once (about 100 bytes each). Past it the oldest window is forgotten:
 * whoever can send from this many addresses is not slowed by a per-address limit anyway.
 */
export const ADMIN_LOGIN_TRACKED_ADDRESSES = 10_000;

export interface LoginThrottleOptions {
  maxFailures?: number;
  windowMs?: number;
  maxAddresses?: number;
  /** Milliseconds; injected by tests. */
  now?: () => number;
}

export interface LoginThrottle {
  /** Seconds until `address` may try again, or 0 when it may try now. */
  retryAfter(address: string): number;
  /** Counts a failed login from `address`. Successful ones are not counted. */
  fail(address: string): void;
  /** Addresses currently remembered. */
  readonly size: number;
}

/** A fixed window per address, in a Map whose insertion order is the order windows started. */
export function createLoginThrottle(options: LoginThrottleOptions = {}): LoginThrottle {
  const maxFailures = options.maxFailures ?? ADMIN_LOGIN_MAX_FAILURES;
  const windowMs = options.windowMs ?? ADMIN_LOGIN_WINDOW_SECONDS * 1000;
  const maxAddresses = options.maxAddresses ?? ADMIN_LOGIN_TRACKED_ADDRESSES;
  const now = options.now ?? Date.now;
  const windows = new Map<string, { endsAt: number; failures: number }>();

  /** The address's window if it is still open; an ended one is forgotten. */
  function open(address: string, at: number) {
    const window = windows.get(address);
    if (window && window.endsAt <= at) windows.delete(address);
    return window && window.endsAt > at ? window : undefined;
  }

  return {
    retryAfter(address) {
      const at = now();
      const window = open(address, at);
      return window && window.failures >= maxFailures ? Math.ceil((window.endsAt - at) / 1000) : 0;
    },
    fail(address) {
      const at = now();
      const window = open(address, at);
      if (window) {
        window.failures += 1;
        return;
      }
      // Windows start in time order, so the first key is the oldest.
      while (windows.size >= maxAddresses) windows.delete(windows.keys().next().value!);
      windows.set(address, { endsAt: at + windowMs, failures: 1 });
    },
    get size() {
      return windows.size;
    },
  };
}
