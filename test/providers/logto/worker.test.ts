import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { EventOf } from '../../../src/events/catalog.js';
import type { HandlerRegistry } from '../../../src/handlers/registry.js';
import { startService, type Service } from '../../../src/service.js';
import { LOGTO_KEY, postLogto, userDataUpdated } from '../../helpers/logto-signer.js';
import { captureLogs } from '../../helpers/receiver.js';
import { REDIS_URL, testConfig } from '../../helpers/test-config.js';
import { waitFor } from '../../helpers/wait-for.js';

/** The accepted path end to end: HTTP → real Redis → BullMQ worker → typed handlers. */
describe('Logto events through the worker', () => {
  let service: Service | undefined;
  let queueName = '';
  let inspect: Queue | undefined;
  const redis = new Redis(REDIS_URL);
  const keys: string[] = [];

  async function start(registerHandlers?: (registry: HandlerRegistry) => void) {
    queueName = `test-${randomUUID()}`;
    // KAKAO_AUDIENCE empty: the Kakao endpoint (and its JWKS fetch) stays off.
    const config = testConfig({ QUEUE_NAME: queueName, KAKAO_AUDIENCE: '', LOGTO_SIGNING_KEYS: LOGTO_KEY });
    inspect = new Queue(queueName, { connection: { url: REDIS_URL } });
    service = await startService(config, {
      role: 'all',
      logger: captureLogs().logger,
      ...(registerHandlers ? { registerHandlers } : {}),
    });
    return service;
  }

  afterEach(async () => {
    await service?.close();
    service = undefined;
    await inspect?.obliterate({ force: true });
    await inspect?.close();
    inspect = undefined;
    if (keys.length > 0) await redis.del(...keys.splice(0));
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
    const profileKey = (id: string) => `webhook:profile:logto:${id}`;
    const revokedKey = (id: string) => `webhook:sessions-revoked-before:logto:${id}`;
    const completed = async (count: number) =>
      waitFor(async () => (await inspect!.getCompletedCount()) >= count, { what: `${count} completed jobs` });

    it('sync the profile from User.Data.Updated, but not from a customData-only update', async () => {
      const s = await start();
      const id = userId();
      keys.push(profileKey(id));
      expect((await postLogto(s.app, userDataUpdated({ userId: id }))).statusCode).toBe(200);
      await waitFor(async () => (await redis.exists(profileKey(id))) === 1, { what: 'the profile' });
      expect(await redis.hgetall(profileKey(id))).toMatchObject({ primaryEmail: 'ada@example.com', name: 'Ada Lovelace', username: 'ada', avatar: '' });

      const customData = userDataUpdated({
        userId: id, path: `/users/${id}/custom-data`, matchedRoute: '/users/:userId/custom-data',
        // customData may well hold the user's own id; only the route tells it from a user.
        data: { id, name: 'not the name', plan: 'pro' },
      });
      expect((await postLogto(s.app, customData)).statusCode).toBe(200);
      await completed(2);
      expect(await redis.hget(profileKey(id), 'name')).toBe('Ada Lovelace');
      expect(await redis.hget(profileKey(id), 'plan')).toBeNull();
    });

    it('revoke sessions on suspension, not when a suspension is lifted', async () => {
      const s = await start();
      const suspended = userId();
      const lifted = userId();
      keys.push(revokedKey(suspended), revokedKey(lifted));
      const suspension = (id: string, isSuspended: boolean) =>
        userDataUpdated({ userId: id, event: 'User.SuspensionStatus.Updated', matchedRoute: '/users/:userId/is-suspended', data: { id, isSuspended } });
      const payload = suspension(suspended, true);
      expect((await postLogto(s.app, payload)).statusCode).toBe(200);
      expect((await postLogto(s.app, suspension(lifted, false))).statusCode).toBe(200);
      await completed(2);
      expect(await redis.get(revokedKey(suspended))).toBe(String(Date.parse(payload.createdAt as string)));
      expect(await redis.exists(revokedKey(lifted))).toBe(0);
    });

    it('revoke sessions after a password reset and a deletion', async () => {
      const s = await start();
      const reset = userId();
      const deleted = userId();
      keys.push(revokedKey(reset), revokedKey(deleted));
      const resetPayload = { event: 'PostResetPassword', interactionEvent: 'ForgotPassword', createdAt: new Date().toISOString(), sessionId: 's1', userId: reset, user: { id: reset } };
      expect((await postLogto(s.app, resetPayload)).statusCode).toBe(200);
      expect((await postLogto(s.app, userDataUpdated({ userId: deleted, event: 'User.Deleted', method: 'DELETE', status: 204 }))).statusCode).toBe(200);
      await completed(2);
      expect(await redis.exists(revokedKey(reset), revokedKey(deleted))).toBe(2);
    });
  });

  afterAll(async () => {
    redis.disconnect();
  });
});
