import { describe, expect, it } from 'vitest';
import { createLoginThrottle } from '../../src/admin/login-throttle.js';

/** A clock the test moves by hand: no test here waits. */
function clock() {
  let ms = 1_000_000;
  return { now: () => ms, advance: (by: number) => (ms += by) };
}

describe('createLoginThrottle', () => {
  it('refuses an address after 10 failures until 60 s after its first, then lets it start afresh', () => {
    const time = clock();
    const throttle = createLoginThrottle({ now: time.now });
    for (let i = 0; i < 9; i++) throttle.fail('192.0.2.1');
    expect(throttle.retryAfter('192.0.2.1')).toBe(0);
    throttle.fail('192.0.2.1');
    expect(throttle.retryAfter('192.0.2.1')).toBe(60);
    time.advance(59_001);
    expect(throttle.retryAfter('192.0.2.1')).toBe(1);
    time.advance(999);
    expect(throttle.retryAfter('192.0.2.1')).toBe(0);
    // The ended window is forgotten: one more failure is the first of a new one.
    throttle.fail('192.0.2.1');
    expect(throttle.retryAfter('192.0.2.1')).toBe(0);
  });

  it('counts each address apart', () => {
    const throttle = createLoginThrottle({ now: clock().now });
    for (let i = 0; i < 10; i++) throttle.fail('192.0.2.1');
    throttle.fail('192.0.2.2');
    expect(throttle.retryAfter('192.0.2.1')).toBeGreaterThan(0);
    expect(throttle.retryAfter('192.0.2.2')).toBe(0);
    expect(throttle.retryAfter('192.0.2.3')).toBe(0);
  });

  it('remembers at most maxAddresses, forgetting the oldest window first', () => {
    const throttle = createLoginThrottle({ now: clock().now, maxFailures: 2, maxAddresses: 3 });
    for (const address of ['a', 'b', 'c']) {
      throttle.fail(address);
      throttle.fail(address);
    }
    expect(throttle.size).toBe(3);
    throttle.fail('d');
    expect(throttle.size).toBe(3);
    expect(throttle.retryAfter('a')).toBe(0);
    expect(throttle.retryAfter('b')).toBeGreaterThan(0);
    expect(throttle.retryAfter('c')).toBeGreaterThan(0);
    for (let i = 0; i < 1000; i++) throttle.fail(`x${i}`);
    expect(throttle.size).toBe(3);
  });
});
