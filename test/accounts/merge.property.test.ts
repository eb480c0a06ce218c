import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { changeKinds, changeOfAppliedUpdate, mergeUpdate } from '../../src/accounts/merge.js';
import { emptyAccount, type AccountUpdate, type StoredAccount } from '../../src/accounts/model.js';
import { deliveryOrder, historyOf } from './history.js';

const replay = (updates: readonly AccountUpdate[]): StoredAccount => updates.reduce(mergeUpdate, emptyAccount());

/** The merge alone: the state is a function of the set of events, not of their order. */
describe('mergeUpdate', () => {
  it('ends in the same state for every delivery order, redeliveries included', () => {
    fc.assert(
      fc.property(
        historyOf('kakao', 'u1').chain((history) => fc.tuple(fc.constant(history), deliveryOrder(history), deliveryOrder(history))),
        ([history, first, second]) => {
          const reference = replay(history);
          expect(replay(first)).toEqual(reference);
          expect(replay(second)).toEqual(reference);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('keeps the watermark at the newest revocation, and nothing not newer than the deletion', () => {
    fc.assert(
      fc.property(historyOf('kakao', 'u1'), (history) => {
        const state = replay(history);
        const revoking = history.filter((update) => update.revokeSessions).map((update) => update.event.at);
        expect(state.sessionsRevokedAt).toBe(revoking.length ? Math.max(...revoking) : null);
        const deletions = history.filter((update) => update.purge).map((update) => update.event.at);
        expect(state.deletedAt).toBe(deletions.length ? Math.max(...deletions) : null);
        for (const part of [state.profile, state.consent, state.channels]) {
          for (const entry of Object.values(part)) expect(entry.at).toBeGreaterThan(state.deletedAt ?? -Infinity);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('is idempotent: applying an update twice is applying it once', () => {
    fc.assert(
      fc.property(historyOf('logto', 'u1'), (history) => {
        const once = replay(history);
        expect(history.reduce((state, update) => mergeUpdate(mergeUpdate(state, update), update), emptyAccount())).toEqual(once);
      }),
      { numRuns: 500 },
    );
  });

  it('rebuilds, from the state right after an update, the change that update made', () => {
    // What a retried event job reports: the first attempt stored the change, the retry finds it.
    fc.assert(
      fc.property(historyOf('kakao', 'u1'), (history) => {
        let state = emptyAccount();
        for (const update of history) {
          const after = mergeUpdate(state, update);
          const kinds = changeKinds(state, after);
          const rebuilt = changeOfAppliedUpdate(update, after);
          // Everything rebuilt is a change the update made, except that deletion and revocation
          // keep a time, not an event: another event at the very same instant set them already.
          const sameInstant = new Set([
            ...(state.deletedAt === update.event.at ? ['purged'] : []),
            ...(state.sessionsRevokedAt === update.event.at ? ['sessions-revoked'] : []),
            'recorded',
          ]);
          for (const kind of rebuilt?.changes ?? []) if (!sameInstant.has(kind)) expect(kinds).toContain(kind);
          if (kinds.includes('status-changed') && after.status?.eventId === update.event.id) expect(rebuilt?.changes).toContain('status-changed');
          if (kinds.includes('purged')) expect(rebuilt?.changes).toContain('purged');
          if (kinds.includes('sessions-revoked')) expect(rebuilt?.changes).toContain('sessions-revoked');
          // An update that changed nothing rebuilds to nothing, but for those same-instant parts.
          if (kinds.length === 0 && after.lastEvent?.eventId !== update.event.id) {
            expect((rebuilt?.changes ?? []).filter((kind) => kind === 'recorded' || !sameInstant.has(kind))).toEqual([]);
          }
          state = after;
        }
      }),
      { numRuns: 1000 },
    );
  });
});
