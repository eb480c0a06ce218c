import fc from 'fast-check';
import type { AccountUpdate } from '../../src/accounts/model.js';

/**
 * Random histories of one user's events for property tests: few distinct times (so ties
 * happen), every kind of update, each event with its own id. A delivery order is a permutation
 * of the history with some events repeated, as redeliveries would.
 */
const T0 = Date.UTC(2026, 0, 1);
const time = fc.integer({ min: 0, max: 12 }).map((step) => T0 + step * 1000);
const field = fc.constantFrom('email', 'nickname', 'name', 'phone_number', 'profile_image_url');
const value = fc.oneof(fc.string({ maxLength: 6 }), fc.constant(null), fc.integer());

const effects = fc.record(
  {
    status: fc.constantFrom('active', 'disabled', 'unlinked', 'deleted' as const),
    revokeSessions: fc.constant(true),
    purge: fc.constant(true),
    profile: fc.dictionary(field, value, { minKeys: 1, maxKeys: 3 }),
    profileAt: time,
    clearFields: fc.uniqueArray(field, { minLength: 1, maxLength: 2 }),
    consent: fc.record({ state: fc.constantFrom('granted', 'withdrawn' as const), scopes: fc.uniqueArray(fc.constantFrom('account_email', 'profile_nickname', 'phone_number'), { minLength: 1, maxLength: 2 }) }),
    channel: fc.record({ id: fc.constantFrom('_chanA', '_chanB'), relation: fc.constantFrom('added', 'blocked' as const) }),
  },
  { requiredKeys: [] },
);

export function historyOf(provider: 'kakao' | 'logto', userId: string) {
  return fc
    .uniqueArray(fc.tuple(fc.integer({ min: 1, max: 1_000_000 }), time, fc.constantFrom('kakao.a', 'kakao.b', 'logto.c'), effects), {
      minLength: 1,
      maxLength: 14,
      selector: ([id]) => id,
    })
    .map((events) =>
      events.map(([id, at, type, parts]): AccountUpdate => ({ provider, userId, event: { id: `e${id}`, type, at }, ...parts })),
    );
}

/** A delivery order: the history shuffled, with up to `extra` redeliveries mixed in. */
export function deliveryOrder<T>(history: readonly T[], extra = 6) {
  return fc
    .tuple(fc.shuffledSubarray([...history], { minLength: history.length, maxLength: history.length }), fc.array(fc.nat(), { maxLength: extra }), fc.array(fc.nat(), { maxLength: extra }))
    .map(([shuffled, picks, positions]) => {
      const order = [...shuffled];
      picks.forEach((pick, index) => order.splice((positions[index] ?? 0) % (order.length + 1), 0, history[pick % history.length]!));
      return order;
    });
}
