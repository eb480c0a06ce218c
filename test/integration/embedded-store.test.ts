import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LOGTO_KEY, signLogto, userDataUpdated } from '../helpers/logto-signer.js';
import { freePort } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Issue 5: with neither REDIS_URL nor DATABASE_URL the service stores events in an embedded
 * PostgreSQL (PGlite) in DATA_DIR. Real processes, real SIGKILL.
 */
const ROOT = new URL('../..', import.meta.url).pathname;

interface Running {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
  port: number;
}

async function start(script: string, args: string[], env: Record<string, string>): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output, port };
}

const healthy = (running: Running) =>
  waitFor(async () => (await fetch(`http://127.0.0.1:${running.port}/healthz`).catch(() => undefined))?.ok, {
    timeoutMs: 30_000,
    what: 'the service to answer /healthz',
  });

function postLogtoOverHttp(port: number, payload: Record<string, unknown>) {
  const body = JSON.stringify(payload);
  return fetch(`http://127.0.0.1:${port}/webhooks/logto`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'logto-signature-sha-256': signLogto(LOGTO_KEY, body) },
    body,
  });
}

describe('the embedded store', () => {
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'receiver-embedded-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('is the default: npm start with no store configured says where events go and how to switch to Redis', async () => {
    const dir = dataDir();
    const running = await start('src/main.ts', [], { DATA_DIR: dir });
    children.push(running.child);
    await healthy(running);
    const line = running.output().split('\n').find((l) => l.includes('"store":"embedded"') && l.includes('REDIS_URL'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!).msg).toContain(dir);
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
  });

  it('refuses a second process on the same data directory, with a clear message', async () => {
    const dir = dataDir();
    const first = await start('src/main.ts', [], { DATA_DIR: dir });
    children.push(first.child);
    await healthy(first);
    const second = await start('src/main.ts', [], { DATA_DIR: dir });
    children.push(second.child);
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`is in use by process ${first.child.pid} on `);
    // The first one is unharmed.
    expect((await fetch(`http://127.0.0.1:${first.port}/healthz`)).ok).toBe(true);
  });

  it.each(['receiver', 'worker'])('refuses --role %s: no other process can reach the embedded store', async (role) => {
    const running = await start('src/main.ts', ['--role', role], { DATA_DIR: dataDir() });
    children.push(running.child);
    expect(await running.exited).toBe(1);
    expect(running.output()).toContain(`--role ${role} needs a store other processes can reach`);
  });

  it('keeps every accepted event across a SIGKILL, and processes each once after the restart', async () => {
    const dir = dataDir();
    const recordFile = join(dir, 'processed.txt');
    const env = { DATA_DIR: join(dir, 'store'), LOGTO_SIGNING_KEYS: LOGTO_KEY, RECORD_FILE: recordFile, LOGTO_MAX_AGE_SECONDS: '0' };

    // A receiver without a worker: accepted events cannot have been processed when it dies.
    const receiver = await start('test/fixtures/recording-service.ts', ['--role', 'receiver'], env);
    children.push(receiver.child);
    await healthy(receiver);
    const accepted: string[] = [];
    for (let i = 0; i < 40; i += 1) {
      const response = await postLogtoOverHttp(receiver.port, userDataUpdated({ userId: `crash-${i}` }));
      expect(response.status).toBe(200);
      accepted.push(`crash-${i}`);
    }
    receiver.child.kill('SIGKILL');
    await receiver.exited;

    // Restarted with a worker on the same directory (the stale lock is taken over).
    const restarted = await start('test/fixtures/recording-service.ts', ['--role', 'all'], env);
    children.push(restarted.child);
    await healthy(restarted);
    const processed = () => readFileSync(recordFile, 'utf8').split('\n').filter(Boolean);
    await waitFor(() => { try { return processed().length >= accepted.length; } catch { return false; } }, { timeoutMs: 30_000, what: 'every event to be processed' });
    await new Promise((resolve) => setTimeout(resolve, 1000)); // room for any duplicate to show up
    const ids = processed();
    expect(ids).toHaveLength(accepted.length);
    expect(new Set(ids).size).toBe(accepted.length);
    restarted.child.kill('SIGTERM');
    expect(await restarted.exited).toBe(0);
  });
});
