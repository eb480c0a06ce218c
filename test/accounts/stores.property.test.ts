import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeUpdate, toAccountState } from '../../src/accounts/merge.js';
import { emptyAccount, type AccountUpdate } from '../../src/accounts/model.js';
import { BACKENDS } from '../helpers/backends.js';
import { useTestBackend } from '../helpers/receiver.js';
import { deliveryOrder, historyOf } from './history.js';

/**
 * Order-independence through each real store: one random history, delivered to three users in
 * different orders (one of them with every delivery at once, so that writes race and the
 * store's compare-and-set must retry), ends in the same state for all three, equal to the merge
 * of the history alone.
 */
describe.each(BACKENDS)('account state store on %s', (kind) => {
  const store = useTestBackend(kind);

  it('ends in the same state for every delivery order, redeliveries and concurrent writes included', async () => {
    const accounts = () => store().backend.accountStates();
    await fc.assert(
      fc.asyncProperty(
        historyOf('kakao', 'template').chain((history) => fc.tuple(fc.constant(history), deliveryOrder(history), deliveryOrder(history))),
        async ([history, sequential, concurrent]) => {
          const run = randomUUID();
          const as = (userId: string) => (update: AccountUpdate): AccountUpdate => ({ ...update, userId });
          for (const update of history.map(as(`${run}-reference`))) await accounts().apply(update);
          for (const update of sequential.map(as(`${run}-sequential`))) await accounts().apply(update);
          await Promise.all(concurrent.map(as(`${run}-concurrent`)).map((update) => accounts().apply(update)));

          const expected = toAccountState('kakao', 'same', history.reduce(mergeUpdate, emptyAccount()));
          for (const userId of ['reference', 'sequential', 'concurrent']) {
            const stored = await accounts().get('kakao', `${run}-${userId}`);
            expect(toAccountState('kakao', 'same', stored!)).toEqual(expected);
          }
        },
      ),
      { numRuns: kind === 'embedded' ? 15 : 30 },
    );
  }, 120_000);

  it('publishes one change per applied change, none for a redelivery', async () => {
    const accounts = store().backend.accountStates();
    const seen: string[] = [];
    const unsubscribe = await accounts.changes.subscribe({ onChange: (change) => void seen.push(`${change.userId}:${change.eventId}:${change.action}`), onInterrupt: () => {} });
    try {
      const userId = randomUUID();
      const at = Date.now();
      const revoke: AccountUpdate = { provider: 'logto', userId, event: { id: 'r1', type: 'logto.PostResetPassword', at }, revokeSessions: true };
      const older: AccountUpdate = { provider: 'logto', userId, event: { id: 'r0', type: 'logto.PostResetPassword', at: at - 1000 }, revokeSessions: true };
      expect(await accounts.apply(revoke)).toMatchObject({ action: 'sessions-revoked', sessionsRevokedAt: new Date(at).toISOString() });
      expect(await accounts.apply(revoke)).toBeNull();
      expect(await accounts.apply(older)).toBeNull(); // the watermark does not move back; lastEvent stays the newer one
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(seen.filter((line) => line.startsWith(userId))).toEqual([`${userId}:r1:sessions-revoked`]);
    } finally {
      unsubscribe();
    }
  });
});
