import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AdminConfig } from '../../src/admin/config.js';
import { adminDashboard } from '../../src/admin/dashboard.js';
import { ADMIN_LOGIN_MAX_FAILURES } from '../../src/admin/login-throttle.js';
import { ADMIN_DASHBOARD_PATH } from '../../src/admin/paths.js';
import type { JobQueue } from '../../src/queue/backend.js';
import { DEFAULT_BACKEND, openTestBackend, type TestBackend } from '../helpers/backends.js';
import { userDataUpdated } from '../helpers/logto-signer.js';

/**
 * What the dashboard refuses whoever holds its credentials (issue 20: it must not be a signing
 * oracle): changes unless ADMIN_ACTIONS is on, and framing. Bull Board itself, on one store, through app.inject.
 */
const CREDENTIALS = { user: 'ops', password: `pw-${randomUUID()}` };
const AUTHORIZATION = `Basic ${Buffer.from(`${CREDENTIALS.user}:${CREDENTIALS.password}`).toString('base64')}`;

let store: TestBackend;
beforeAll(async () => {
  store = await openTestBackend(DEFAULT_BACKEND);
});
afterAll(async () => {
  await store?.close();
});

let app: FastifyInstance | undefined;
let queue: JobQueue | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
  await queue?.obliterate({ force: true });
  await queue?.close();
  queue = undefined;
});

async function start(actions: boolean) {
  queue = store.backend.createQueue(`test-${randomUUID()}`, {});
  queue.on('error', () => {});
  const server = Fastify({ loggerInstance: pino({ level: 'silent' }) as FastifyBaseLogger });
  app = server;
  const credentials: AdminConfig = { ...CREDENTIALS, actions };
  await server.register(adminDashboard, { prefix: ADMIN_DASHBOARD_PATH, credentials, queues: [queue] });
  return { server, name: queue.name, queue };
}

describe('queue dashboard actions', () => {
  it('refuses every change with 403 ERR_ADMIN_READ_ONLY by default, and the queue stays as it was', async () => {
    const { server, name, queue } = await start(false);
    const kept = userDataUpdated({ userId: 'u-1' });
    await queue.add('logto.User.Data.Updated', kept as never, { jobId: 'kept' });
    const before = await queue.getJobCounts();
    const deleted = { event: 'User.Deleted', createdAt: new Date().toISOString(), data: { id: 'victim' } };
    const changes: { method: 'POST' | 'PUT' | 'PATCH' | 'DELETE'; path: string; payload?: object }[] = [
      { method: 'POST', path: `/api/queues/${name}/add`, payload: { name: 'logto.User.Deleted', data: deleted } },
      { method: 'PUT', path: `/api/queues/${name}/retry/failed` },
      { method: 'PUT', path: `/api/queues/${name}/clean/waiting` },
      { method: 'PUT', path: `/api/queues/${name}/kept/clean` },
      { method: 'PUT', path: `/api/queues/${name}/kept/promote` },
      { method: 'PATCH', path: `/api/queues/${name}/kept/update-data`, payload: { jobData: deleted } },
      { method: 'PUT', path: `/api/queues/${name}/pause` },
      { method: 'PUT', path: '/api/queues/pause' },
      { method: 'PUT', path: `/api/queues/${name}/empty` },
      { method: 'PUT', path: `/api/queues/${name}/obliterate`, payload: {} },
      { method: 'DELETE', path: `/api/queues/${name}` },
    ];
    for (const { method, path, payload } of changes) {
      const response = await server.inject({ method, url: `${ADMIN_DASHBOARD_PATH}${path}`, headers: { authorization: AUTHORIZATION }, ...(payload ? { payload } : {}) });
      expect(response.statusCode, `${method} ${path}`).toBe(403);
      expect(response.json()).toEqual({ error: 'ERR_ADMIN_READ_ONLY', message: 'the queue dashboard is read-only (ADMIN_ACTIONS is off)' });
    }
    expect(await queue.getJobCounts()).toEqual(before);
    expect(await queue.isPaused()).toBe(false);
    expect((await queue.getJob('kept'))?.data).toEqual(kept);

    // Reading still works, and the page is told the queue is read-only (Bull Board hides its buttons).
    const read = await server.inject({ url: `${ADMIN_DASHBOARD_PATH}/api/queues`, headers: { authorization: AUTHORIZATION } });
    expect(read.statusCode).toBe(200);
    expect(read.json().queues).toMatchObject([{ name, readOnlyMode: true }]);
  });

  it('adds, promotes and cleans jobs with ADMIN_ACTIONS on', async () => {
    const { server, name, queue } = await start(true);
    const act = (method: 'POST' | 'PUT', path: string, payload?: object) =>
      server.inject({ method, url: `${ADMIN_DASHBOARD_PATH}${path}`, headers: { authorization: AUTHORIZATION }, ...(payload ? { payload } : {}) });
    const added = await act('POST', `/api/queues/${name}/add`, { name: 'logto.User.Data.Updated', data: userDataUpdated({ userId: 'u-2' }) });
    expect(added.statusCode).toBe(200);
    expect(await queue.getJobCountByTypes('waiting')).toBe(1);
    const delayed = await queue.add('logto.User.Data.Updated', userDataUpdated({ userId: 'u-3' }) as never, { jobId: 'later', delay: 3_600_000 });
    expect((await act('PUT', `/api/queues/${name}/later/promote`)).statusCode).toBe(204);
    expect(await delayed.getState()).toBe('waiting');
    expect(await queue.getJobCountByTypes('waiting')).toBe(2);
    // Removing one job (cleaning a whole state spares jobs younger than 5 s).
    expect((await act('PUT', `/api/queues/${name}/later/clean`)).statusCode).toBe(204);
    expect(await queue.getJob('later')).toBeUndefined();
    expect(await queue.getJobCountByTypes('waiting')).toBe(1);

    const read = await server.inject({ url: `${ADMIN_DASHBOARD_PATH}/api/queues`, headers: { authorization: AUTHORIZATION } });
    expect(read.json().queues).toMatchObject([{ name, readOnlyMode: false }]);
  });
});

describe('queue dashboard framing', () => {
  it("answers every request, refused or not, with frame-ancestors 'none' and X-Frame-Options DENY", async () => {
    const { server, name } = await start(false);
    const basic = (password: string) => `Basic ${Buffer.from(`${CREDENTIALS.user}:${password}`).toString('base64')}`;
    const answers = [
      await server.inject({ url: ADMIN_DASHBOARD_PATH, headers: { authorization: AUTHORIZATION } }),
      await server.inject({ url: `${ADMIN_DASHBOARD_PATH}/queue/${name}`, headers: { authorization: AUTHORIZATION } }),
      await server.inject({ url: `${ADMIN_DASHBOARD_PATH}/static/images/logo.svg`, headers: { authorization: AUTHORIZATION } }),
      await server.inject({ url: `${ADMIN_DASHBOARD_PATH}/api/queues`, headers: { authorization: AUTHORIZATION } }),
      await server.inject({ url: `${ADMIN_DASHBOARD_PATH}/no-such-page`, headers: { authorization: AUTHORIZATION } }),
      await server.inject({ method: 'PUT', url: `${ADMIN_DASHBOARD_PATH}/api/queues/${name}/pause`, headers: { authorization: AUTHORIZATION } }),
      await server.inject({ url: ADMIN_DASHBOARD_PATH }),
    ];
    for (let i = 0; i < ADMIN_LOGIN_MAX_FAILURES + 1; i++) {
      answers.push(await server.inject({ url: ADMIN_DASHBOARD_PATH, remoteAddress: '203.0.113.5', headers: { authorization: basic(`wrong-${i}`) } }));
    }
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200, 200, 200, 404, 403, 401, ...Array(ADMIN_LOGIN_MAX_FAILURES).fill(401), 429]);
    for (const answer of answers) {
      expect(answer.headers['content-security-policy'], `${answer.statusCode}`).toBe("frame-ancestors 'none'");
      expect(answer.headers['x-frame-options']).toBe('DENY');
    }
  });
});
