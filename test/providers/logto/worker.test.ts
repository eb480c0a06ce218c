import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventOf } from '../../../src/events/catalog.js';
import type { HandlerRegistry } from '../../../src/handlers/registry.js';
import type { JobQueue } from '../../../src/queue/backend.js';
import { startService, type Service } from '../../../src/service.js';
import { BACKENDS } from '../../helpers/backends.js';
import { LOGTO_KEY, postLogto, userDataUpdated } from '../../helpers/logto-signer.js';
import { captureLogs, useTestBackend } from '../../helpers/receiver.js';
import { testConfig } from '../../helpers/test-config.js';
import { atMost, waitFor } from '../../helpers/wait-for.js';

/** The accepted path end to end: HTTP → each real store → BullMQ worker → typed handlers. */
describe.each(BACKENDS)('Logto events through the worker, on %s', (kind) => {
  const store = useTestBackend(kind);
  let service: Service | undefined;
  let inspect: JobQueue | undefined;

  async function start(registerHandlers?: (registry: HandlerRegistry) => void) {
    // KAKAO_AUDIENCE empty: the Kakao endpoint (and its JWKS fetch) stays off.
    const config = testConfig({ ...store().env, QUEUE_NAME: `test-${randomUUID()}`, KAKAO_AUDIENCE: '', LOGTO_SIGNING_KEYS: LOGTO_KEY });
    inspect = store().backend.createQueue(config.queue.name, {});
    service = await startService(config, {
      role: 'all',
      logger: captureLogs().logger,
      backend: store().backend,
      ...(registerHandlers ? { registerHandlers } : {}),
    });
    return service;
  }

  afterEach(async () => {
    await service?.close();
    service = undefined;
    await atMost(inspect!.obliterate({ force: true }));
    await inspect?.close();
    inspect = undefined;
  });

  it('hands a registered handler the typed logto.User.Data.Updated event', async () => {
    const received: EventOf<'logto.User.Data.Updated'>[] = [];
    const s = await start((registry) => {
      registry.on('logto.User.Data.Updated', (event) => {
        received.push(event);
      });
    });
    const payload = userDataUpdated({ userId: 'u-worker-1' });
    expect((await postLogto(s.app, payload)).statusCode).toBe(200);

    const [event] = await waitFor(() => (received.length > 0 ? received : undefined), { what: 'the handler to run' });
    expect(event).toMatchObject({ type: 'logto.User.Data.Updated', provider: 'logto', subject: { id: 'u-worker-1' }, occurredAt: payload.createdAt });
    expect(event!.data.data?.primaryEmail).toBe('ada@example.com');
    expect(event!.data.params).toEqual({ userId: 'u-worker-1' });
  });

  it('runs a catch-all handler for an unknown event type', async () => {
    const seen: string[] = [];
    const s = await start((registry) => registry.onAny((event) => void seen.push(`${event.type}:${event.sourceType}`)));
    expect((await postLogto(s.app, { event: 'Application.Created', createdAt: new Date().toISOString() })).statusCode).toBe(200);
    await waitFor(() => seen.length > 0, { what: 'the catch-all handler' });
    expect(seen).toEqual(['logto.unknown:Application.Created']);
  });

  describe('built-in account-state handler', () => {
    const userId = () => `u-${randomUUID().slice(0, 8)}`;
    const accounts = () => store().backend.accountStates();
    const stateOf = (id: string) => waitFor(() => accounts().get('logto', id), { what: `the account state of ${id}` });

    it('syncs the profile from User.Data.Updated, but not from a customData-only update', async () => {
      const s = await start();
      const id = userId();
      const payload = userDataUpdated({ userId: id });
      expect((await postLogto(s.app, payload)).statusCode).toBe(200);
      const state = await stateOf(id);
      const updatedAt = (payload.data as { updatedAt: number }).updatedAt;
      expect(state.profile).toMatchObject({
        primaryEmail: { value: 'ada@example.com', at: updatedAt },
        name: { value: 'Ada Lovelace' },
        username: { value: 'ada' },
        avatar: { value: null },
      });

      const customData = userDataUpdated({
        userId: id, path: `/users/${id}/custom-data`, matchedRoute: '/users/:userId/custom-data',
        // customData may well hold the user's own id; only the route tells it from a user.
        data: { id, name: 'not the name', plan: 'pro' },
      });
      const marker = userDataUpdated({ userId: id, event: 'PostSignIn', user: { id } });
      expect((await postLogto(s.app, customData)).statusCode).toBe(200);
      expect((await postLogto(s.app, marker)).statusCode).toBe(200);
      await waitFor(async () => (await accounts().get('logto', id))?.lastEvent?.type === 'logto.PostSignIn', { what: 'the marker' });
      const after = await accounts().get('logto', id);
      expect(after!.profile.name).toMatchObject({ value: 'Ada Lovelace' });
      expect(after!.profile.plan).toBeUndefined();
    });

    it('disables the account and revokes sessions on suspension; lifting it reactivates without revoking', async () => {
      const s = await start();
      const suspended = userId();
      const lifted = userId();
      const suspension = (id: string, isSuspended: boolean) =>
        userDataUpdated({ userId: id, event: 'User.SuspensionStatus.Updated', matchedRoute: '/users/:userId/is-suspended', data: { id, isSuspended } });
      const payload = suspension(suspended, true);
      expect((await postLogto(s.app, payload)).statusCode).toBe(200);
      expect((await postLogto(s.app, suspension(lifted, false))).statusCode).toBe(200);
      const at = Date.parse(payload.createdAt as string);
      expect(await stateOf(suspended)).toMatchObject({ sessionsRevokedAt: at, status: { value: 'disabled', at } });
      expect(await stateOf(lifted)).toMatchObject({ sessionsRevokedAt: null, status: { value: 'active' } });
    });

    it('revokes sessions after a password reset, and purges on User.Deleted', async () => {
      const s = await start();
      const reset = userId();
      const deleted = userId();
      const resetPayload = { event: 'PostResetPassword', interactionEvent: 'ForgotPassword', createdAt: new Date().toISOString(), sessionId: 's1', userId: reset, user: { id: reset } };
      expect((await postLogto(s.app, resetPayload)).statusCode).toBe(200);
      expect((await postLogto(s.app, userDataUpdated({ userId: deleted, createdAt: new Date(Date.now() - 1000).toISOString() }))).statusCode).toBe(200);
      await waitFor(async () => Object.keys((await accounts().get('logto', deleted))?.profile ?? {}).length > 0, { what: 'the profile' });
      expect((await postLogto(s.app, userDataUpdated({ userId: deleted, event: 'User.Deleted', method: 'DELETE', status: 204 }))).statusCode).toBe(200);
      expect((await stateOf(reset)).sessionsRevokedAt).toBe(Date.parse(resetPayload.createdAt));
      const tombstone = await waitFor(async () => {
        const state = await accounts().get('logto', deleted);
        return state?.status?.value === 'deleted' ? state : undefined;
      }, { what: 'the purge' });
      expect(tombstone.profile).toEqual({});
      expect(tombstone.deletedAt).toBe(tombstone.sessionsRevokedAt);
    });
  });
});
