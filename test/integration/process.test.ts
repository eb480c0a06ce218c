import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS, TEST_DATABASE_URL, TEST_REDIS_URL } from '../helpers/backends.js';
import { freePort } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';

/** `npm start` as users run it: the entry point, its roles, its config errors, its shutdown. */
const ROOT = new URL('../..', import.meta.url).pathname;

function start(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', QUEUE_NAME: `test-${randomUUID()}`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe('the entry point', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
  });

  it('exits non-zero and names every bad variable at once', async () => {
    const run = start([], { PORT: 'x', REDIS_URL: 'nope', KAKAO_ALGORITHMS: 'none' });
    children.push(run.child);
    expect(await run.exited).not.toBe(0);
    for (const name of ['PORT', 'REDIS_URL', 'KAKAO_ALGORITHMS']) expect(run.output()).toContain(name);
  });

  it.each([
    ['an unknown event name', "export default (registry) => registry.on('kakao.user-unlink', () => {});", /registering its handlers failed: TypeError: unknown event name "kakao.user-unlink"/],
    ['a syntax error', 'export default (registry) => {\n  registry.on(\n', /cannot be loaded: SyntaxError: .*\(node --check .* shows where\)/],
  ])('exits 1 naming the HANDLERS_MODULE file on %s', async (_what, source, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'receiver-handlers-'));
    const file = join(dir, 'handlers.mjs');
    writeFileSync(file, source);
    const run = start([], { HANDLERS_MODULE: file, DATA_DIR: join(dir, 'data') });
    children.push(run.child);
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain(`HANDLERS_MODULE ${file}: `);
    expect(run.output()).toMatch(message);
    expect(run.output()).not.toMatch(/^\s+at /m); // a message, not a stack trace
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an unknown role', async () => {
    const run = start(['--role', 'both'], {});
    children.push(run.child);
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain('--role must be one of');
  });

  // Separate receivers and workers need a store other processes reach; `all` runs on the default.
  const shared: Record<string, string> | undefined = BACKENDS.includes('redis')
    ? { REDIS_URL: TEST_REDIS_URL }
    : BACKENDS.includes('postgres')
      ? { DATABASE_URL: TEST_DATABASE_URL }
      : undefined;
  it.each([
    ['worker', [], shared],
    ['receiver', ['POST /webhooks/kakao/account-status'], shared],
    ['all', ['POST /webhooks/kakao/account-status'], {}],
  ])('--role %s serves /healthz, logs its endpoints, and stops gracefully on SIGTERM', async (role, endpoints, store) => {
    if (!store) return; // nothing but the embedded store here: these roles are refused (embedded-store.test.ts)
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'receiver-process-'));
    const env = { PORT: String(port), KAKAO_AUDIENCE: 'k', KAKAO_JWKS_URI: 'http://127.0.0.1:1/jwks', DATA_DIR: dataDir, ...store };
    const run = start(['--role', role], env);
    children.push(run.child);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok, { timeoutMs: 20_000, what: '/healthz' });
    const webhook = await fetch(`http://127.0.0.1:${port}/webhooks/kakao/account-status`, { method: 'POST' });
    expect(webhook.status === 404).toBe(endpoints.length === 0);
    const started = run.output().split('\n').find((line) => line.includes('"endpoints"'));
    expect(JSON.parse(started!).endpoints).toEqual(endpoints);
    // Only processes with a worker register handlers.
    expect(Array.isArray(JSON.parse(started!).handled)).toBe(role !== 'receiver');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    rmSync(dataDir, { recursive: true, force: true });
  });
});
