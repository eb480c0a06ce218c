import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AccountChange } from '../../src/accounts/model.js';
import type { EventOf } from '../../src/events/catalog.js';
import type { Forwarder } from '../../src/forwarding/forwarder.js';
import { registerBuiltInHandlers } from '../../src/handlers/built-in.js';
import { createHandlerRegistry } from '../../src/handlers/registry.js';
import { BACKENDS } from '../helpers/backends.js';
import { useTestBackend } from '../helpers/receiver.js';
import { testConfig } from '../helpers/test-config.js';

const log = pino({ level: 'silent' });

function suspension(userId: string): EventOf {
  const now = new Date().toISOString();
  return {
    id: `logto-${randomUUID()}`,
    provider: 'logto',
    type: 'logto.User.SuspensionStatus.Updated',
    sourceType: 'User.SuspensionStatus.Updated',
    subject: { id: userId },
    occurredAt: now,
    receivedAt: now,
    data: { event: 'User.SuspensionStatus.Updated', createdAt: now, path: `/users/${userId}/is-suspended`, method: 'PATCH', status: 200, params: { userId }, matchedRoute: '/users/:userId/is-suspended', data: { id: userId, isSuspended: true } },
  } as EventOf;
}

/**
 * The account-state and forward handlers together, on each real account store. The forwarder is
 * a stand-in that records what it is given and can fail, as a store blip would make it.
 */
describe.each(BACKENDS)('built-in handlers on %s', (kind) => {
  const store = useTestBackend(kind);

  it('forwards the change an event made even when its job is retried after the change was stored', async () => {
    const forwarded: (AccountChange | null | undefined)[] = [];
    let failNext = true;
    const forwarder: Forwarder = {
      targetsFor: () => ['app'],
      async enqueue(_event, accountChange) {
        if (failNext) {
          failNext = false;
          throw new Error('the store did not answer');
        }
        forwarded.push(accountChange);
      },
      async close() {},
    };
    const registry = createHandlerRegistry();
    registerBuiltInHandlers(registry, { config: { ...testConfig().accounts, builtInHandlers: ['account-state'] }, store: store().backend.accountStates(), forwarder });
    const userId = `u-${randomUUID().slice(0, 8)}`;
    const event = suspension(userId);
    const context = (attempt: number) => ({ log, attempt, maxAttempts: 3, signal: new AbortController().signal });

    // Attempt 1 stores the suspension, then cannot queue the delivery: the job is retried.
    await expect(registry.receive(structuredClone(event), context(1))).rejects.toThrow(/did not answer/);
    // Attempt 2: the state already holds the change, and the delivery still says what it was.
    await registry.receive(structuredClone(event), context(2));
    expect(forwarded).toHaveLength(1);
    expect(forwarded[0]).toMatchObject({ userId, eventId: event.id, status: 'disabled', changes: ['sessions-revoked', 'status-changed'] });

    // An event older than what is stored changed nothing: null.
    const older = { ...suspension(userId), occurredAt: new Date(Date.now() - 3_600_000).toISOString() } as EventOf;
    (older.data as { data: { isSuspended: boolean } }).data.isSuspended = false;
    await registry.receive(older, context(1));
    expect(forwarded[1]).toBeNull();
  });
});
