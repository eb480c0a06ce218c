import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BACKEND } from '../helpers/backends.js';
import { newSecret, startForwardTarget, type ForwardTarget, type ReceivedDelivery } from '../helpers/forward-target.js';
import { LOGTO_KEY, postLogto, userDataUpdated } from '../helpers/logto-signer.js';
import { useTestBackend } from '../helpers/receiver.js';
import { runService, type RunningService } from '../helpers/service.js';
import { testConfig } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const MARKER = '<!-- forwarding-node-snippet';

/** The js block that follows the marker in README.md ("Verifying a delivery"), exactly as printed. */
function readmeSnippet(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf(MARKER);
  if (at < 0) throw new Error(`README.md has no ${MARKER} marker`);
  const block = /```js\n([\s\S]*?)\n```/.exec(readme.slice(at));
  if (!block) throw new Error('no ```js block follows the marker in README.md');
  return `${block[1]}\n`;
}

/** The snippet run as README.md says: `FORWARD_SECRET=whsec_... PORT=... node receive-events.mjs`. */
interface SnippetProcess {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

async function runSnippet(file: string, secret: string): Promise<SnippetProcess> {
  const child: ChildProcess = spawn(process.execPath, [file], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', FORWARD_SECRET: secret, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    const port = await waitFor(() => /listening on port (\d+)/.exec(output)?.[1] ?? (child.exitCode !== null ? 'exited' : undefined), {
      timeoutMs: 15_000,
      what: 'the README snippet to listen',
    });
    if (port === 'exited') throw new Error(`the README snippet exited:\n${output}`);
    return { url: `http://127.0.0.1:${port}/hooks`, output: () => output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Sends a delivery on to the snippet's server as the receiver sent it: same body bytes, same headers. */
function replay(url: string, delivery: Pick<ReceivedDelivery, 'body' | 'headers'>) {
  const headers: Record<string, string> = {};
  for (const name of ['content-type', 'user-agent', 'webhook-id', 'webhook-timestamp', 'webhook-signature']) {
    const value = delivery.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  return fetch(url, { method: 'POST', headers, body: delivery.body });
}

describe(`README.md's Node.js verification snippet, fed a real delivery (${DEFAULT_BACKEND})`, () => {
  const store = useTestBackend(DEFAULT_BACKEND);
  const secret = newSecret();
  let dir: string;
  let file: string;
  let target: ForwardTarget;
  let running: RunningService;
  let delivery: ReceivedDelivery;
  let snippet: SnippetProcess;
  const started: SnippetProcess[] = [];

  beforeAll(async () => {
    // Inside the repository, so that `import 'standardwebhooks'` resolves as in an application.
    dir = mkdtempSync(join(ROOT, 'test', '.tmp-readme-snippet-'));
    file = join(dir, 'receive-events.mjs');
    writeFileSync(file, readmeSnippet());

    target = await startForwardTarget(() => ({ status: 204 }));
    const config = testConfig({ ...store().env, LOGTO_SIGNING_KEYS: LOGTO_KEY, FORWARD_URL: target.url, FORWARD_SECRET: secret, FORWARD_ALLOW_HTTP: 'true' });
    running = await runService(config, { backend: store().backend });
    expect((await postLogto(running.service.app, userDataUpdated())).statusCode).toBe(200);
    delivery = await waitFor(() => target.received[0], { what: 'the forwarded delivery' });

    snippet = await runSnippet(file, secret);
    started.push(snippet);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(started.map((snippetProcess) => snippetProcess.stop()));
    await running?.close(); // its queues too, the forwarding target's included
    await target?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is a delivery the service really made: a signed Logto event', () => {
    expect(delivery.method).toBe('POST');
    expect(delivery.headers['webhook-id']).toMatch(/^logto-[0-9a-f]{64}$/);
    expect(JSON.parse(delivery.body)).toMatchObject({ id: delivery.headers['webhook-id'], type: 'logto.User.Data.Updated', provider: 'logto' });
  });

  it('accepts the delivery (2xx) and handles the event', async () => {
    const response = await replay(snippet.url, delivery);
    expect(response.status).toBe(204);
    await waitFor(() => snippet.output().includes(`handled logto.User.Data.Updated ${delivery.headers['webhook-id']}`), { what: 'the handled line' });
  });

  it('answers 2xx to the same delivery again, without handling it twice (webhook-id)', async () => {
    const response = await replay(snippet.url, delivery);
    expect(response.status).toBe(204);
    expect(snippet.output().split(`handled logto.User.Data.Updated ${delivery.headers['webhook-id']}`)).toHaveLength(2);
  });

  it('rejects a tampered body with 400', async () => {
    const tampered = delivery.body.replace('"primaryEmail":"ada@example.com"', '"primaryEmail":"eve@example.com"');
    expect(tampered).not.toBe(delivery.body);
    expect((await replay(snippet.url, { ...delivery, body: tampered })).status).toBe(400);
    // The same JSON, serialized again: the bytes differ, so it does not verify either.
    const reserialized = JSON.stringify(JSON.parse(delivery.body), null, 1);
    expect((await replay(snippet.url, { ...delivery, body: reserialized })).status).toBe(400);
  });

  it('rejects missing headers and a replay signed 10 minutes ago with 400', async () => {
    expect((await replay(snippet.url, { body: delivery.body, headers: { 'content-type': 'application/json' } })).status).toBe(400);
    const id = String(delivery.headers['webhook-id']);
    const past = new Date(Date.now() - 10 * 60_000);
    const stale = { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(past.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(id, past, delivery.body) };
    expect((await replay(snippet.url, { body: delivery.body, headers: { ...delivery.headers, ...stale } })).status).toBe(400);
  });

  it('rejects the delivery with 400 when it holds another secret', async () => {
    const other = await runSnippet(file, newSecret());
    started.push(other);
    expect((await replay(other.url, delivery)).status).toBe(400);
    expect(other.output()).not.toContain('handled');
  });
});
