import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type OpenedQueue } from '../../src/cli/program.js';
import type { Config } from '../../src/config/config.js';
import { forwardQueueName } from '../../src/forwarding/queues.js';
import type { JobQueue } from '../../src/queue/backend.js';
import { startService, type Service } from '../../src/service.js';
import { BACKENDS } from '../helpers/backends.js';
import { newSecret, startForwardTarget, verifyDelivery, type ForwardTarget } from '../helpers/forward-target.js';
import { createTestKey, setClaims, signSet, startJwksServer, TEST_AUDIENCE, type JwksServer, type TestKey } from '../helpers/kakao-transmitter.js';
import { LOGTO_KEY, postLogto, userDataUpdated } from '../helpers/logto-signer.js';
import { captureLogs, useTestBackend } from '../helpers/receiver.js';
import { testConfig } from '../helpers/test-config.js';
import { atMost, waitFor } from '../helpers/wait-for.js';
import { scrape } from '../metrics/scrape.js';

const suspended = (userId: string) =>
  userDataUpdated({ userId, event: 'User.SuspensionStatus.Updated', matchedRoute: '/users/:userId/is-suspended', data: { id: userId, isSuspended: true } });
const deleted = (userId: string) => userDataUpdated({ userId, event: 'User.Deleted', method: 'DELETE', matchedRoute: '/users/:userId', status: 204 });
const unknownEvent = () => ({ event: 'Application.Created', createdAt: new Date().toISOString() });
const newUser = () => `u-${randomUUID().slice(0, 8)}`;

/**
 * Forwarding end to end: HTTP -> each real store -> the event worker (account state, forward
 * handler) -> the target's own queue -> its delivery worker -> a real HTTP server on 127.0.0.1
 * that verifies every delivery with the standardwebhooks library, as an application would.
 */
describe.each(BACKENDS)('forwarding as Standard Webhooks, on %s', (kind) => {
  const store = useTestBackend(kind);
  let service: Service | undefined;
  let config: Config | undefined;
  const targets: ForwardTarget[] = [];
  const queues: JobQueue[] = [];
  let logs: Record<string, unknown>[] = [];

  async function start(env: Record<string, string>) {
    config = testConfig({
      ...store().env,
      QUEUE_NAME: `test-${randomUUID()}`,
      KAKAO_AUDIENCE: '',
      LOGTO_SIGNING_KEYS: LOGTO_KEY,
      FORWARD_ALLOW_HTTP: 'true',
      FORWARD_BACKOFF_MS: '50',
      ...env,
    });
    const captured = captureLogs();
    logs = captured.lines;
    service = await startService(config, { role: 'all', logger: captured.logger, backend: store().backend, registerHandlers: () => {} });
    return service;
  }
  async function target(answer?: ForwardTarget['answer']) {
    const started = await startForwardTarget(answer);
    targets.push(started);
    return started;
  }
  /** A view of one target's delivery queue, closed after the test. */
  function deliveries(name = 'default'): JobQueue {
    const queue = store().backend.createQueue(forwardQueueName(config!.queue.name, name), {});
    queue.on('error', () => {});
    queues.push(queue);
    return queue;
  }
  const accounts = () => store().backend.accountStates();
  const statusOf = async (userId: string) => ((await accounts().get('logto', userId))?.status as { value?: string } | undefined)?.value;
  const urlOf = (running: Service) => `http://127.0.0.1:${(running.app.server.address() as { port: number }).port}`;

  afterEach(async () => {
    await service?.close();
    service = undefined;
    if (config) {
      const names = [config.queue.name, ...(config.forwarding?.targets ?? []).map((t) => forwardQueueName(config!.queue.name, t.name))];
      for (const name of names) {
        const queue = store().backend.createQueue(name, {});
        queue.on('error', () => {});
        await atMost(queue.obliterate({ force: true }));
        await atMost(queue.close());
      }
    }
    for (const queue of queues.splice(0)) await atMost(queue.close());
    for (const started of targets.splice(0)) await started.close();
    config = undefined;
  });

  it('POSTs each event with every secret signing it; the library verifies it and the payload holds the envelope and the account change', async () => {
    const app = await target();
    const [oldSecret, newSecretValue] = [newSecret(), newSecret()];
    const s = await start({ FORWARD_URL: app.url, FORWARD_SECRET: `${newSecretValue},${oldSecret}` });
    const userId = newUser();
    const payload = suspended(userId);
    expect((await postLogto(s.app, payload)).statusCode).toBe(200);
    expect((await postLogto(s.app, unknownEvent())).statusCode).toBe(200);

    await waitFor(() => app.received.length >= 2, { what: 'two deliveries' });
    const byType = new Map(app.received.map((delivery) => [JSON.parse(delivery.body).type as string, delivery]));
    const delivery = byType.get('logto.User.SuspensionStatus.Updated')!;
    expect(delivery.method).toBe('POST');
    expect(delivery.headers['content-type']).toBe('application/json');
    // Each secret alone verifies it (a rotation), a stranger's does not.
    const verified = verifyDelivery(newSecretValue, delivery);
    expect(verifyDelivery(oldSecret, delivery)).toEqual(verified);
    expect(() => verifyDelivery(newSecret(), delivery)).toThrow(/signature/i);
    expect(() => verifyDelivery(newSecretValue, { ...delivery, body: delivery.body.replace(userId, newUser()) })).toThrow(/signature/i);

    expect(delivery.headers['webhook-id']).toBe(verified.id);
    expect(verified).toMatchObject({
      provider: 'logto',
      type: 'logto.User.SuspensionStatus.Updated',
      sourceType: 'User.SuspensionStatus.Updated',
      subject: { id: userId },
      occurredAt: payload.createdAt,
      data: { event: 'User.SuspensionStatus.Updated', data: { isSuspended: true } },
      accountChange: { provider: 'logto', userId, status: 'disabled', eventId: verified.id, eventType: 'logto.User.SuspensionStatus.Updated' },
    });
    expect((verified.accountChange as { changes: string[] }).changes).toEqual(expect.arrayContaining(['status-changed', 'sessions-revoked']));
    expect(typeof verified.receivedAt).toBe('string');
    // An event the account state does not handle carries no accountChange at all.
    const other = verifyDelivery(oldSecret, byType.get('logto.unknown')!);
    expect(other).toMatchObject({ type: 'logto.unknown', sourceType: 'Application.Created' });
    expect(other).not.toHaveProperty('accountChange');

    // The state update did not wait for, and is not repeated by, the deliveries.
    expect(await statusOf(userId)).toBe('disabled');
    const metrics = await scrape(urlOf(s));
    expect(metrics.value('webhook_forward_deliveries_total', { target: 'default', result: 'delivered' })).toBe(2);
    expect(metrics.value('webhook_forward_attempt_duration_seconds_count', { target: 'default', outcome: 'delivered' })).toBe(2);
    expect(metrics.value('webhook_handler_duration_seconds_count', { handler: 'forward' })).toBe(2);
  });

  describe('a Kakao Security Event Token', () => {
    let key: TestKey;
    let jwks: JwksServer;
    beforeAll(async () => {
      key = await createTestKey('fwd-key');
      jwks = await startJwksServer([key]);
    });
    afterAll(async () => jwks?.close());

    it('is forwarded in the same envelope, with the account change it made', async () => {
      const app = await target();
      const secret = newSecret();
      const s = await start({ FORWARD_URL: app.url, FORWARD_SECRET: secret, FORWARD_EVENTS: 'kakao.*', KAKAO_AUDIENCE: TEST_AUDIENCE, KAKAO_JWKS_URI: jwks.url });
      const userId = `${Date.now()}${Math.floor(Math.random() * 1000)}`;
      const disabled = 'https://schemas.openid.net/secevent/risc/event-type/account-disabled';
      const claims = setClaims({ sub: userId, events: { [disabled]: { subject: { subject_type: 'iss-sub', iss: 'https://kauth.kakao.com', sub: userId }, reason: 'hijacking' } } });
      const response = await fetch(`${urlOf(s)}/webhooks/kakao/account-status`, {
        method: 'POST',
        headers: { 'content-type': 'application/secevent+jwt' },
        body: await signSet(key, claims),
      });
      expect(response.status).toBe(202);
      expect((await postLogto(s.app, userDataUpdated({ userId: newUser() }))).statusCode).toBe(200); // filtered out

      await waitFor(() => app.received.length >= 1, { what: 'the delivery' });
      const forwarded = verifyDelivery(secret, app.received[0]!);
      expect(forwarded).toMatchObject({
        provider: 'kakao',
        type: 'kakao.account-disabled',
        sourceType: disabled,
        subject: { id: userId },
        transactionId: 'txn-1',
        data: { reason: 'hijacking', subject: { subject_type: 'iss-sub', sub: userId } }, // the event's own claims
        accountChange: { provider: 'kakao', userId, status: 'disabled' },
      });
      // The Logto event reached the worker too (its account state exists) but not this target.
      const events = s.backend.createQueue(config!.queue.name, {});
      events.on('error', () => {});
      queues.push(events);
      await waitFor(async () => Object.values(await events.getJobCounts('waiting', 'active')).every((n) => n === 0), { what: 'the queue to drain' });
      expect(app.received.map((d) => JSON.parse(d.body).type)).toEqual(['kakao.account-disabled']);
    });
  });

  it('retries after a 500 and a 429, waiting out Retry-After, with the same webhook-id and a fresh signature each time', async () => {
    const secret = newSecret();
    const app = await target((_delivery, n) =>
      n === 1 ? { status: 500, body: 'database down' } : n === 2 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 204 },
    );
    const s = await start({ FORWARD_URL: app.url, FORWARD_SECRET: secret });
    expect((await postLogto(s.app, userDataUpdated({ userId: newUser() }))).statusCode).toBe(200);

    await waitFor(() => app.received.length >= 3, { what: 'three attempts', timeoutMs: 20_000 });
    const [first, second, third] = app.received;
    expect(new Set(app.received.map((d) => d.headers['webhook-id'])).size).toBe(1);
    for (const delivery of [first!, second!, third!]) expect(verifyDelivery(secret, delivery)).toMatchObject({ type: 'logto.User.Data.Updated' });
    // FORWARD_BACKOFF_MS is 50: only the target's Retry-After explains the wait before the third.
    expect(third!.atMs - second!.atMs).toBeGreaterThanOrEqual(1900);
    await waitFor(async () => (await deliveries().getJobCounts('failed', 'delayed', 'waiting', 'active')).delayed === 0, { what: 'the delivery to finish' });
    expect(await deliveries().getFailedCount()).toBe(0);
    const metrics = await scrape(urlOf(s));
    expect(metrics.value('webhook_forward_attempt_duration_seconds_count', { target: 'default', outcome: 'server_error' })).toBe(1);
    expect(metrics.value('webhook_forward_attempt_duration_seconds_count', { target: 'default', outcome: 'rate_limited' })).toBe(1);
    expect(metrics.value('webhook_forward_deliveries_total', { target: 'default', result: 'delivered' })).toBe(1);
    // Three attempts of the delivery, one run of the event's handlers: retries re-run only the delivery.
    expect(metrics.value('webhook_handler_duration_seconds_count', { handler: 'account-state' })).toBe(1);
    expect(metrics.value('webhook_handler_duration_seconds_count', { handler: 'forward' })).toBe(1);
  });

  it('fails a delivery answered 400 for good, into the target failed set; the CLI retries it and it is delivered', async () => {
    const secret = newSecret();
    let refuse = true;
    const app = await target(() => (refuse ? { status: 400, body: 'unknown\nfield\x00 "foo"' } : { status: 200 }));
    const s = await start({ FORWARD_TARGETS: JSON.stringify([{ name: 'crm', url: app.url, secret }]) });
    const userId = newUser();
    expect((await postLogto(s.app, userDataUpdated({ userId }))).statusCode).toBe(200);

    const queue = deliveries('crm');
    const [failed] = await waitFor(async () => {
      const jobs = await queue.getFailed();
      return jobs.length > 0 ? jobs : undefined;
    }, { what: 'the delivery in the failed set' });
    expect(app.received).toHaveLength(1); // no retry of a 400
    expect(failed!.attemptsMade).toBe(1);
    expect(failed!.failedReason).toBe('target crm answered 400: unknown field "foo"');
    expect(((await accounts().get('logto', userId))?.profile.username as { value?: string } | undefined)?.value).toBe('ada'); // the state update went through

    refuse = false;
    const out: string[] = [];
    const err: string[] = [];
    const opened: (string | undefined)[] = [];
    const code = await runCli(['failed', 'retry', failed!.id!, '--target', 'crm'], {
      openQueue: async (name): Promise<OpenedQueue> => {
        opened.push(name);
        return { queue: deliveries(name), description: kind, close: async () => {} };
      },
      stdout: { write: (text: string) => out.push(text) } as never,
      stderr: { write: (text: string) => err.push(text) } as never,
      stdinIsTTY: false,
      confirm: async () => false,
    });
    expect({ code, err: err.join('') }).toEqual({ code: 0, err: '' });
    expect(opened).toEqual(['crm']);
    expect(out.join('')).toMatch(/is waiting again; the delivery to crm is POSTed again/);
    await waitFor(() => app.received.length >= 2, { what: 'the retried delivery' });
    expect(verifyDelivery(secret, app.received[1]!)).toMatchObject({ id: failed!.id, subject: { id: userId } });
    await waitFor(async () => (await queue.getFailedCount()) === 0 && (await queue.getCompletedCount()) === 0, { what: 'the failed set to empty' });
  });

  it('forwards nothing for a refused request, and once for an event delivered twice', async () => {
    const secret = newSecret();
    const app = await target();
    const s = await start({ FORWARD_URL: app.url, FORWARD_SECRET: secret });
    const forged = userDataUpdated({ userId: newUser() });
    expect((await postLogto(s.app, forged, { key: 'not-the-signing-key-0123456789' })).statusCode).toBe(401);
    const payload = userDataUpdated({ userId: newUser() });
    expect((await postLogto(s.app, payload)).statusCode).toBe(200);
    expect((await postLogto(s.app, payload)).statusCode).toBe(200); // Logto redelivers the same bytes

    await waitFor(() => app.received.length >= 1, { what: 'the delivery' });
    // Then until every queue is idle: a second delivery would have been made by now.
    await waitFor(async () => {
      const events = s.backend.createQueue(config!.queue.name, {});
      events.on('error', () => {});
      queues.push(events);
      const [a, b] = await Promise.all([events.getJobCounts('waiting', 'active', 'delayed'), deliveries().getJobCounts('waiting', 'active', 'delayed')]);
      return Object.values(a).every((n) => n === 0) && Object.values(b).every((n) => n === 0);
    }, { what: 'the queues to be idle' });
    expect(app.received).toHaveLength(1);
    expect(verifyDelivery(secret, app.received[0]!)).toMatchObject({ subject: { id: (payload.params as { userId: string }).userId } });
  });

  it('gives each target only the events its filter names; a target that times out holds up neither the other nor the account state', async () => {
    const slow = await target(() => ({ status: 200, delayMs: 5000 }));
    const fast = await target();
    const s = await start({
      FORWARD_TARGETS: JSON.stringify([
        { name: 'slow', url: slow.url, secret: newSecret(), timeoutMs: 500 },
        { name: 'fast', url: fast.url, secret: newSecret(), events: 'logto.User.Suspension*' },
      ]),
    });
    const userId = newUser();
    expect((await postLogto(s.app, unknownEvent())).statusCode).toBe(200);
    expect((await postLogto(s.app, suspended(userId))).statusCode).toBe(200);

    await waitFor(() => fast.received.length >= 1, { what: 'the fast target' });
    await waitFor(() => slow.received.length >= 3, { what: 'the slow target to be retried after timeouts', timeoutMs: 20_000 });
    expect(fast.received.map((d) => JSON.parse(d.body).type)).toEqual(['logto.User.SuspensionStatus.Updated']);
    expect(await statusOf(userId)).toBe('disabled');
    const metrics = await scrape(urlOf(s));
    expect(metrics.value('webhook_forward_attempt_duration_seconds_count', { target: 'slow', outcome: 'timeout' })).toBeGreaterThanOrEqual(1);
    expect(metrics.value('webhook_forward_deliveries_total', { target: 'fast', result: 'delivered' })).toBe(1);
  });

  it('forwards with the account-state handler off, without accountChange', async () => {
    const app = await target();
    const secret = newSecret();
    const s = await start({ FORWARD_URL: app.url, FORWARD_SECRET: secret, BUILT_IN_HANDLERS: 'none' });
    const userId = newUser();
    expect((await postLogto(s.app, suspended(userId))).statusCode).toBe(200);
    await waitFor(() => app.received.length >= 1, { what: 'the delivery' });
    const forwarded = verifyDelivery(secret, app.received[0]!);
    expect(forwarded).toMatchObject({ type: 'logto.User.SuspensionStatus.Updated', subject: { id: userId } });
    expect(forwarded).not.toHaveProperty('accountChange');
    expect(await accounts().get('logto', userId)).toBeNull();
  });

  it('is done by the worker role: a receiver-only process forwards nothing itself', async () => {
    const app = await target();
    const secret = newSecret();
    const receiver = await start({ FORWARD_URL: app.url, FORWARD_SECRET: secret });
    // start() made an all-in-one service; replace it with a receiver and a separate worker on the same store.
    await receiver.close();
    const captured = captureLogs();
    service = await startService(config!, { role: 'receiver', logger: captured.logger, backend: store().backend });
    const userId = newUser();
    expect((await postLogto(service.app, suspended(userId))).statusCode).toBe(200);
    const events = store().backend.createQueue(config!.queue.name, {});
    events.on('error', () => {});
    queues.push(events);
    await waitFor(async () => (await events.getWaitingCount()) === 1, { what: 'the stored event' });
    expect(app.received).toHaveLength(0);

    const worker = await startService({ ...config!, http: { ...config!.http, port: 0 } }, { role: 'worker', logger: captured.logger, backend: store().backend, registerHandlers: () => {} });
    try {
      await waitFor(() => app.received.length >= 1, { what: 'the worker to forward it' });
      expect(verifyDelivery(secret, app.received[0]!)).toMatchObject({ subject: { id: userId }, accountChange: { status: 'disabled' } });
    } finally {
      await worker.close();
    }
  });

  it('on shutdown abandons a delivery the target holds, and keeps it for a retry instead of dying with it active', async () => {
    const app = await target(() => ({ status: 200, delayMs: 60_000 }));
    const s = await start({ FORWARD_URL: app.url, FORWARD_SECRET: newSecret(), FORWARD_TIMEOUT_MS: '30000' });
    expect((await postLogto(s.app, userDataUpdated({ userId: newUser() }))).statusCode).toBe(200);
    await waitFor(() => app.received.length === 1, { what: 'the delivery to start' });

    const started = Date.now();
    await s.close();
    service = undefined;
    // Bounded by the 2 s grace, not by the 30 s timeout (generous margin for a loaded machine).
    expect(Date.now() - started).toBeLessThan(15_000);
    const [job] = await deliveries().getJobs(['delayed', 'waiting']);
    expect(job?.failedReason).toBe('target default abandoned: the worker is shutting down');
    expect(await deliveries().getActiveCount()).toBe(0);
  }, 30_000);

  it('follows no redirect: a 307 fails the delivery for good and the other address gets nothing', async () => {
    const elsewhere = await target();
    const app = await target(() => ({ status: 307, headers: { location: elsewhere.url } }));
    await start({ FORWARD_URL: app.url, FORWARD_SECRET: newSecret() });
    expect((await postLogto(service!.app, userDataUpdated({ userId: newUser() }))).statusCode).toBe(200);
    const [failed] = await waitFor(async () => {
      const jobs = await deliveries().getFailed();
      return jobs.length > 0 ? jobs : undefined;
    }, { what: 'the failed delivery' });
    expect(failed!.failedReason).toMatch(/answered 307 \(a redirect, not followed/);
    expect(app.received).toHaveLength(1);
    expect(elsewhere.received).toHaveLength(0);
  });

  it('purging a user removes their failed deliveries, except the deletion event own', async () => {
    // A long answer: only a short excerpt may reach the logs and the failed jobs.
    const app = await target(() => ({ status: 422, body: `{"error":"echo@example.org is taken"} ${'x'.repeat(400)} END-OF-ANSWER` }));
    const s = await start({ FORWARD_URL: app.url, FORWARD_SECRET: newSecret() });
    const userId = newUser();
    const other = newUser();
    expect((await postLogto(s.app, userDataUpdated({ userId }))).statusCode).toBe(200);
    expect((await postLogto(s.app, userDataUpdated({ userId: other }))).statusCode).toBe(200);
    await waitFor(async () => (await deliveries().getFailedCount()) === 2, { what: 'two failed deliveries' });

    const deletion = deleted(userId);
    expect((await postLogto(s.app, deletion)).statusCode).toBe(200);
    await waitFor(async () => (await statusOf(userId)) === 'deleted', { what: 'the purge' });
    const subjects = await waitFor(async () => {
      const jobs = await deliveries().getFailed();
      const types = jobs.map((job) => `${job.data.subject?.id}:${job.data.type}`).sort();
      return types.length === 2 && types.includes(`${userId}:logto.User.Deleted`) ? types : undefined;
    }, { what: 'the purge of the failed deliveries' });
    expect(subjects).toEqual([`${other}:logto.User.Data.Updated`, `${userId}:logto.User.Deleted`].sort());
    const failedReasons = (await deliveries().getFailed()).map((job) => job.failedReason);
    expect(failedReasons.every((reason) => reason.length < 300 && !reason.includes('END-OF-ANSWER'))).toBe(true);
    // The excerpt is in the failed job (removed with the user), never in a log line.
    expect(failedReasons.every((reason) => reason.includes('echo@example.org'))).toBe(true);
    expect(JSON.stringify(logs)).not.toContain('echo@example.org');
    const refusals = logs.filter((line) => line.component === 'forward' && line.outcome === 'rejected');
    expect(refusals.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(logs)).not.toContain('END-OF-ANSWER');
    expect(JSON.stringify(logs)).not.toContain('ada@example.com'); // the payload's personal data is never logged
  });
});

describe('forwarding on an embedded store the service opens itself', () => {
  it('delivers to three targets: the store has a connection for each delivery worker', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'forward-embedded-'));
    const apps = await Promise.all([1, 2, 3].map(() => startForwardTarget()));
    const secret = newSecret();
    const config = testConfig({
      REDIS_URL: undefined,
      DATA_DIR: dataDir,
      KAKAO_AUDIENCE: '',
      LOGTO_SIGNING_KEYS: LOGTO_KEY,
      FORWARD_ALLOW_HTTP: 'true',
      FORWARD_TARGETS: JSON.stringify(apps.map((app, i) => ({ name: `app${i}`, url: app.url, secret }))),
    });
    const service = await startService(config, { role: 'all', logger: captureLogs().logger, registerHandlers: () => {} });
    try {
      expect((await postLogto(service.app, userDataUpdated({ userId: newUser() }))).statusCode).toBe(200);
      await waitFor(() => apps.every((app) => app.received.length === 1), { what: 'a delivery to each target', timeoutMs: 20_000 });
      for (const app of apps) expect(verifyDelivery(secret, app.received[0]!)).toMatchObject({ type: 'logto.User.Data.Updated' });
    } finally {
      await service.close();
      await Promise.all(apps.map((app) => app.close()));
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
