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
  const accounts = () => store().backend.accountStore();

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

  describe('built-in handlers', () => {
    const userId = () => `u-${randomUUID().slice(0, 8)}`;
    const completed = async (count: number) =>
      waitFor(async () => (await inspect!.getCompletedCount()) >= count, { what: `${count} completed jobs` });

    it('sync the profile from User.Data.Updated, but not from a customData-only update', async () => {
      const s = await start();
      const id = userId();
      expect((await postLogto(s.app, userDataUpdated({ userId: id }))).statusCode).toBe(200);
      const profile = await waitFor(() => accounts().profile('logto', id), { what: 'the profile' });
      expect(profile).toMatchObject({ primaryEmail: 'ada@example.com', name: 'Ada Lovelace', username: 'ada', avatar: '' });

      const customData = userDataUpdated({
        userId: id, path: `/users/${id}/custom-data`, matchedRoute: '/users/:userId/custom-data',
        // customData may well hold the user's own id; only the route tells it from a user.
        data: { id, name: 'not the name', plan: 'pro' },
      });
      expect((await postLogto(s.app, customData)).statusCode).toBe(200);
      await completed(2);
      const after = await accounts().profile('logto', id);
      expect(after!.name).toBe('Ada Lovelace');
      expect(after!.plan).toBeUndefined();
    });

    it('revoke sessions on suspension, not when a suspension is lifted', async () => {
      const s = await start();
      const suspended = userId();
      const lifted = userId();
      const suspension = (id: string, isSuspended: boolean) =>
        userDataUpdated({ userId: id, event: 'User.SuspensionStatus.Updated', matchedRoute: '/users/:userId/is-suspended', data: { id, isSuspended } });
      const payload = suspension(suspended, true);
      expect((await postLogto(s.app, payload)).statusCode).toBe(200);
      expect((await postLogto(s.app, suspension(lifted, false))).statusCode).toBe(200);
      await completed(2);
      expect(await accounts().sessionsRevokedBefore('logto', suspended)).toEqual(new Date(payload.createdAt as string));
      expect(await accounts().sessionsRevokedBefore('logto', lifted)).toBeNull();
    });

    it('revoke sessions after a password reset and a deletion', async () => {
      const s = await start();
      const reset = userId();
      const deleted = userId();
      const resetPayload = { event: 'PostResetPassword', interactionEvent: 'ForgotPassword', createdAt: new Date().toISOString(), sessionId: 's1', userId: reset, user: { id: reset } };
      expect((await postLogto(s.app, resetPayload)).statusCode).toBe(200);
      expect((await postLogto(s.app, userDataUpdated({ userId: deleted, event: 'User.Deleted', method: 'DELETE', status: 204 }))).statusCode).toBe(200);
      await completed(2);
      expect(await accounts().sessionsRevokedBefore('logto', reset)).toBeInstanceOf(Date);
      expect(await accounts().sessionsRevokedBefore('logto', deleted)).toBeInstanceOf(Date);
    });
  });
});
