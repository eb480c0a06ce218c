import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors.js';
import type { JobQueue } from '../../src/queue/backend.js';
import { startService, type Service } from '../../src/service.js';
import { BACKENDS, isRedis } from '../helpers/backends.js';
import { LOGTO_KEY, signLogto, userDataUpdated } from '../helpers/logto-signer.js';
import { captureLogs, useTestBackend } from '../helpers/receiver.js';
import { testConfig } from '../helpers/test-config.js';
import { atMost, waitFor } from '../helpers/wait-for.js';

/**
 * Bull Board at /admin/queues, served by the real service on each store, read through real HTTP
 * and, where Chromium is installed (CI installs it), in a headless browser.
 */
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const ADMIN_USER = 'ops';
const ADMIN_PASSWORD = `pw-${randomUUID()}`;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const AUTHORIZATION = basic(ADMIN_USER, ADMIN_PASSWORD);

// One browser for the whole file, shared by every store.
let browser: Browser | undefined;
beforeAll(async () => {
  if (!hasChromium) return;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

describe.each(BACKENDS)('queue dashboard, on %s', (kind) => {
  const store = useTestBackend(kind);
  let service: Service | undefined;
  let inspect: JobQueue | undefined;
  let context: BrowserContext | undefined;
  let baseUrl = '';
  let queueName = '';
  /** Unique per test: only this test's failing handler can have put it on the page. */
  let marker = '';
  let failingUser = '';

  async function start(env: Record<string, string | undefined> = { ADMIN_USER, ADMIN_PASSWORD }) {
    marker = `marker-${randomUUID()}`;
    failingUser = `u-fail-${randomUUID().slice(0, 8)}`;
    const config = testConfig({ ...store().env, KAKAO_AUDIENCE: undefined, LOGTO_SIGNING_KEYS: LOGTO_KEY, ...env });
    queueName = config.queue.name;
    service = await startService(config, {
      role: 'all',
      logger: captureLogs().logger,
      backend: store().backend,
      registerHandlers: (registry) =>
        registry.on('logto.User.Data.Updated', (event) => {
          if (event.subject?.id === failingUser) throw new PermanentError(`downstream refused: ${marker}`);
        }),
    });
    inspect = store().backend.createQueue(queueName, {});
    inspect.on('error', () => {});
    baseUrl = `http://127.0.0.1:${(service.app.server.address() as { port: number }).port}`;
  }

  afterEach(async () => {
    await context?.close();
    context = undefined;
    await service?.close();
    service = undefined;
    if (inspect) await atMost(inspect.obliterate({ force: true }));
    await atMost(inspect?.close() ?? Promise.resolve());
    inspect = undefined;
  });

  /** A Logto delivery, signed as Logto signs it, through real HTTP. */
  async function sendLogto(userId: string) {
    const body = JSON.stringify(userDataUpdated({ userId }));
    const response = await fetch(`${baseUrl}/webhooks/logto`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'logto-signature-sha-256': signLogto(LOGTO_KEY, body) },
      body,
    });
    expect(response.status).toBe(200);
  }

  const failedJob = () =>
    waitFor(async () => (await inspect!.getJobs(['failed']))[0], { what: 'the failed job', timeoutMs: 15_000 });

  const admin = (path: string, init: RequestInit = {}, authorization: string | null = AUTHORIZATION) =>
    fetch(`${baseUrl}${path}`, { ...init, headers: authorization ? { authorization } : {} });

  it('answers 401 with a Basic challenge on every path under /admin/queues without the right credentials', async () => {
    await start();
    const paths = [
      '/admin/queues',
      '/admin/queues/',
      `/admin/queues/queue/${queueName}`,
      '/admin/queues/api/queues',
      `/admin/queues/api/queues/${queueName}/workers`,
      '/admin/queues/static/images/logo.svg',
      '/admin/queues/no-such-page',
    ];
    // Every path without credentials; the wrong ones on three paths only: nine wrong logins, as
    // the tenth from one address would be throttled (test/admin/dashboard-guards.test.ts).
    const somePaths = ['/admin/queues', '/admin/queues/api/queues', '/admin/queues/no-such-page'];
    for (const authorization of [null, basic(ADMIN_USER, `${ADMIN_PASSWORD}x`), basic('root', ADMIN_PASSWORD), `Bearer ${ADMIN_PASSWORD}`]) {
      for (const path of authorization === null ? paths : somePaths) {
        const response = await admin(path, {}, authorization);
        expect(response.status, `${path} with ${authorization}`).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe('Basic realm="admin"');
        expect(await response.json()).toMatchObject({ error: 'ERR_ADMIN_UNAUTHORIZED' });
      }
    }
    // An action without credentials does nothing.
    expect((await admin(`/admin/queues/api/queues/${queueName}/pause`, { method: 'PUT' }, null)).status).toBe(401);
    expect(await inspect!.isPaused()).toBe(false);

    // The same paths with the credentials: the page, its assets and its API.
    const page = await admin('/admin/queues');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect((await admin('/admin/queues/static/images/logo.svg')).status).toBe(200);
    const api = await admin('/admin/queues/api/queues');
    expect(api.status).toBe(200);
    expect(((await api.json()) as { queues: { name: string }[] }).queues.map((queue) => queue.name)).toEqual([queueName]);
  });

  it.skipIf(!hasChromium)("shows the queue, and the failed job's reason under its failed jobs, in a browser", async () => {
    await start();
    await sendLogto(failingUser);
    await sendLogto(`u-ok-${randomUUID().slice(0, 8)}`);
    expect((await failedJob()).failedReason).toContain(marker);

    // Without credentials the browser gets the challenge (Chromium then gives up on the navigation).
    const anonymous = await browser!.newContext();
    try {
      const page = await anonymous.newPage();
      for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
        const answered = page.waitForResponse(`${baseUrl}${path}`);
        await page.goto(`${baseUrl}${path}`).catch(() => {}); // net::ERR_INVALID_AUTH_CREDENTIALS
        const response = await answered;
        expect(response.status(), path).toBe(401);
        expect(response.headers()['www-authenticate']).toBe('Basic realm="admin"');
      }
    } finally {
      await anonymous.close();
    }

    context = await browser!.newContext({ httpCredentials: { username: ADMIN_USER, password: ADMIN_PASSWORD } });
    // The page asks for web fonts on the internet; nothing but the service is needed.
    await context.route((url) => !url.href.startsWith(baseUrl), (route) => route.abort());
    const page = await context.newPage();
    const response = await page.goto(`${baseUrl}/admin/queues`);
    expect(response?.status()).toBe(200);
    const queueLink = page.locator(`a[href="/admin/queues/queue/${queueName}"]`).first();
    await queueLink.waitFor({ timeout: 15_000 });
    expect(await queueLink.innerText()).toContain(queueName);
    expect(await page.locator('body').innerText()).not.toContain(marker);

    await queueLink.click();
    await page.waitForURL(`${baseUrl}/admin/queues/queue/${queueName}`);
    await page.locator(`a[href="/admin/queues/queue/${queueName}?status=failed"]`).first().click();
    await page.waitForURL(`${baseUrl}/admin/queues/queue/${queueName}?status=failed`);
    await page.getByText(`downstream refused: ${marker}`).first().waitFor({ timeout: 15_000 });
  });

  it('reports what this store can show: paused jobs among the waiting, connected workers', async () => {
    // Pausing is an action: the dashboard is read-only without ADMIN_ACTIONS.
    await start({ ADMIN_USER, ADMIN_PASSWORD, ADMIN_ACTIONS: 'true' });
    const queues = async (status: string) => {
      const response = await admin(`/admin/queues/api/queues?activeQueue=${queueName}&status=${status}`);
      expect(response.status).toBe(200);
      return ((await response.json()) as { queues: { counts: Record<string, number>; jobs: unknown[]; isPaused: boolean }[] }).queues[0]!;
    };
    // The dashboard's own pause action, then an event that waits in the paused queue.
    expect((await admin(`/admin/queues/api/queues/${queueName}/pause`, { method: 'PUT' })).status).toBe(200);
    expect(await inspect!.isPaused()).toBe(true);
    await sendLogto(`u-${randomUUID().slice(0, 8)}`);
    const paused = await waitFor(async () => {
      const queue = await queues('waiting');
      return queue.jobs.length > 0 ? queue : undefined;
    }, { what: 'the waiting job' });
    expect(paused.isPaused).toBe(true);
    // BullMQ's PostgreSQL backend leaves a paused queue's jobs out of the waiting count; they are still listed.
    expect(paused.counts.waiting).toBe(isRedis(kind) ? 1 : 0);

    const workers = (await (await admin(`/admin/queues/api/queues/${queueName}/workers`)).json()) as { workers: { name: string | null }[] | null };
    // Bull Board lists a worker only with a client address, which only Redis reports.
    if (isRedis(kind)) expect(workers.workers).toEqual([expect.objectContaining({ name: null })]);
    else expect(workers.workers).toBeNull();
  });

  it("lists each forwarding target's delivery queue after the event queue", async () => {
    const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    await start({
      ADMIN_USER,
      ADMIN_PASSWORD,
      FORWARD_TARGETS: JSON.stringify([
        { name: 'crm', url: 'https://crm.example/hooks', secret },
        { name: 'app', url: 'https://app.example/hooks', secret },
      ]),
    });
    const api = await admin('/admin/queues/api/queues');
    expect(((await api.json()) as { queues: { name: string }[] }).queues.map((queue) => queue.name)).toEqual([
      queueName,
      `${queueName}-forward-crm`,
      `${queueName}-forward-app`,
    ]);
  });

  it('does not exist without ADMIN_USER and ADMIN_PASSWORD', async () => {
    await start({});
    for (const path of ['/admin/queues', '/admin/queues/', '/admin/queues/api/queues', '/admin/queues/static/images/logo.svg']) {
      for (const authorization of [null, AUTHORIZATION]) {
        const response = await admin(path, {}, authorization);
        expect(response.status, path).toBe(404);
        expect(response.headers.get('www-authenticate')).toBeNull();
      }
    }
  });
});
