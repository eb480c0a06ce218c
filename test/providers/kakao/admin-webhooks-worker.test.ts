import type { Worker } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventOf } from '../../../src/events/catalog.js';
import { accountStateHandler, ACCOUNT_EVENT_NAMES } from '../../../src/accounts/handler.js';
import { createHandlerRegistry } from '../../../src/handlers/registry.js';
import { createLogger } from '../../../src/logger.js';
import { createEventWorker } from '../../../src/queue/event-worker.js';
import { BACKENDS } from '../../helpers/backends.js';
import { ADMIN_ENV, callKakao, channelBody, form, JSON_TYPE, resourceId, unlinkParams } from '../../helpers/kakao-admin.js';
import { startTestReceiver, useTestBackend, type TestReceiver } from '../../helpers/receiver.js';
import { waitFor } from '../../helpers/wait-for.js';

/**
 * Issue 4, point 7: accepted admin-key webhooks reach typed handlers through the real queue and a
 * real BullMQ worker, and a redelivery is processed once; on each backend (issue 5).
 */
describe.each(BACKENDS)('Kakao admin-key webhooks through the worker, on %s', (kind) => {
  const store = useTestBackend(kind);
  let r: TestReceiver;
  let worker: Worker<EventOf, void, string>;
  const seen: EventOf[] = [];
  // A user id of this run only.
  let userId = '';
  let unlinkUrl = '';

  beforeEach(async () => {
    seen.length = 0;
    userId = `${Date.now()}${Math.floor(Math.random() * 1e6)}`;
    unlinkUrl = `/webhooks/kakao/unlink?${form(unlinkParams({ user_id: userId }))}`;
    r = await startTestReceiver(store(), ADMIN_ENV);
    const registry = createHandlerRegistry();
    registry.on('kakao.unlinked', (event) => {
      // Compiles only while the catalog types kakao.unlinked's data (tsc runs over the tests).
      const referrerType: string = event.data.referrer_type;
      seen.push({ ...event, data: { ...event.data, referrer_type: referrerType } });
    });
    registry.on(['kakao.talk-channel.added', 'kakao.talk-share.sent', 'kakao.unknown'], (event) => {
      seen.push(event);
    });
    registry.on(ACCOUNT_EVENT_NAMES, accountStateHandler({ store: store().backend.accountStates() }));
    const log = createLogger('silent');
    worker = createEventWorker({ backend: store().backend, name: r.config.queue.name, registry, log, concurrency: 1 });
    void worker.run();
  });
  afterEach(async () => {
    await worker.close();
    await r.close();
  });

  const sendMarker = () =>
    callKakao(r.app, { method: 'GET', url: `/webhooks/kakao/talk-share?CHAT_TYPE=MemoChat&HASH_CHAT_ID=marker`, headers: { 'x-kakao-resource-id': resourceId() } });

  it('an accepted unlink reaches kakao.unlinked handlers once, however often it is delivered', async () => {
    expect((await callKakao(r.app, { method: 'GET', url: unlinkUrl })).statusCode).toBe(200);
    const [event] = await waitFor(() => (seen.length > 0 ? seen : undefined), { what: 'the unlink handler' });
    expect(event).toMatchObject({ type: 'kakao.unlinked', subject: { id: userId }, data: { user_id: userId, referrer_type: 'UNLINK_FROM_APPS' } });

    // The redelivery arrives after the first was processed; a later marker proves the worker
    // has drained everything queued before it (one worker, concurrency 1: jobs run in order).
    expect((await callKakao(r.app, { method: 'GET', url: unlinkUrl })).statusCode).toBe(200);
    expect((await sendMarker()).statusCode).toBe(200);
    await waitFor(() => seen.some((e) => e.type === 'kakao.talk-share.sent'), { what: 'the marker' });
    expect(seen.filter((e) => e.type === 'kakao.unlinked')).toHaveLength(1);
  });

  it('the built-in handler revokes the unlinked user\'s sessions and marks the account unlinked', async () => {
    expect((await callKakao(r.app, { method: 'GET', url: unlinkUrl })).statusCode).toBe(200);
    const account = await waitFor(() => store().backend.accountStates().get('kakao', userId), { what: 'the revocation' });
    const [event] = seen;
    expect(account.sessionsRevokedAt).toBe(Date.parse(event!.occurredAt));
    expect(account.status).toMatchObject({ value: 'unlinked', at: Date.parse(event!.occurredAt) });
  });

  it('an unlink because the Kakao account was deleted purges the account, keeping a tombstone', async () => {
    const url = `/webhooks/kakao/unlink?${form(unlinkParams({ user_id: userId, referrer_type: 'ACCOUNT_DELETE' }))}`;
    expect((await callKakao(r.app, { method: 'GET', url })).statusCode).toBe(200);
    const account = await waitFor(() => store().backend.accountStates().get('kakao', userId), { what: 'the purge' });
    expect(account.status?.value).toBe('deleted');
    expect(account.deletedAt).toBe(account.sessionsRevokedAt);
  });

  it('a Talk Channel relation of an app user is kept in the account state', async () => {
    const body = channelBody({ id: userId, event: 'blocked' });
    const response = await callKakao(r.app, { url: '/webhooks/kakao/talk-channel', contentType: JSON_TYPE, payload: JSON.stringify(body), headers: { 'x-kakao-resource-id': resourceId() } });
    expect(response.statusCode).toBe(200);
    const account = await waitFor(() => store().backend.accountStates().get('kakao', userId), { what: 'the channel relation' });
    expect(account.channels).toMatchObject({ _xfxhjXn: { relation: 'blocked', at: Date.parse(body.updated_at as string) } });
  });

  it('talk channel and share events, known and unknown, reach their handlers', async () => {
    const channel = (body: unknown) =>
      callKakao(r.app, { url: '/webhooks/kakao/talk-channel', contentType: JSON_TYPE, payload: JSON.stringify(body), headers: { 'x-kakao-resource-id': resourceId() } });
    expect((await channel(channelBody())).statusCode).toBe(200);
    expect((await channel(channelBody({ event: 'muted' }))).statusCode).toBe(200);
    expect((await sendMarker()).statusCode).toBe(200);
    await waitFor(() => seen.length >= 3, { what: 'three events' });
    expect(seen.map((event) => event.type)).toEqual(['kakao.talk-channel.added', 'kakao.unknown', 'kakao.talk-share.sent']);
    expect(seen[1]!.sourceType).toBe('talk-channel.muted');
  });
});
