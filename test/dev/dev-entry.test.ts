import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { ROOT, tempDataDir } from './dev-mode-helpers.js';

/**
 * The real entry points as a developer runs them: `npm run dev` is `tsx src/dev/main.ts`, and
 * `npm run cli` the CLI's main; both run here as `node --import tsx <file>`, with only the
 * environment each test names.
 */
interface Spawned {
  child: ChildProcessWithoutNullStreams;
  output(): string;
  exited: Promise<number | null>;
}

function spawnEntry(file: string, args: string[], env: Record<string, string>): Spawned {
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe('npm run dev (src/dev/main.ts)', () => {
  const children: Spawned[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const spawned of children.splice(0)) {
      if (spawned.child.exitCode === null && spawned.child.signalCode === null) {
        spawned.child.kill('SIGKILL');
        await spawned.exited;
      }
    }
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const run = (file: string, args: string[], env: Record<string, string>) => {
    const spawned = spawnEntry(file, args, env);
    children.push(spawned);
    return spawned;
  };

  it('refuses NODE_ENV=production: exit code 1, the reason, and nothing written to DATA_DIR', async () => {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    const dev = run('src/dev/main.ts', [], { NODE_ENV: 'production', DATA_DIR: dataDir, PORT: '0' });
    expect(await dev.exited).toBe(1);
    expect(dev.output()).toContain('development mode refuses to start with NODE_ENV=production');
    expect(readdirSync(dataDir)).toEqual([]);
  }, 30_000);

  it('walkthrough: start, send kakao.account-disabled with the printed command, see the session check change, stop', async () => {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    const dev = run('src/dev/main.ts', [], { DATA_DIR: dataDir, PORT: '0' });
    await waitFor(() => dev.output().includes('Queue dashboard:') || dev.child.exitCode !== null, { timeoutMs: 45_000, what: 'development mode to start' });
    const printed = dev.output();
    expect(printed, printed).toContain('Send test events from another terminal:');
    const baseUrl = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(printed)![1]!;
    expect((await fetch(`${baseUrl}/healthz`)).status).toBe(200);
    expect(existsSync(`${dataDir}/dev/secrets.json`)).toBe(true);

    // The printed command, as a developer pastes it: `DATA_DIR=... npm run cli -- send ... --to ...`.
    const command = /^ {2}DATA_DIR=(\S+) npm run cli -- (send kakao\.account-disabled .*)$/m.exec(printed);
    expect(command, printed).not.toBeNull();
    expect(command![1]).toBe(dataDir);
    const token = /Bearer (\S+?)'/.exec(printed)![1]!;
    const sessionCheck = /'(http:\/\/\S+\/v1\/accounts\/kakao\/1234567890\/sessions\/check\?issuedAt=\S+)'/.exec(printed)![1]!;
    const check = async () => (await (await fetch(sessionCheck, { headers: { authorization: `Bearer ${token}` } })).json()) as { allowed: boolean; reason: string | null };
    expect(await check()).toMatchObject({ allowed: true, reason: null });

    const send = run('src/cli/main.ts', command![2]!.split(' '), { DATA_DIR: command![1]! });
    expect(await send.exited, send.output()).toBe(0);
    expect(send.output()).toMatch(/^202 Accepted {2}POST http:\/\/127\.0\.0\.1:\d+\/webhooks\/kakao\/account-status {2}kakao\.account-disabled \(user 1234567890\)\n$/);

    await waitFor(async () => !(await check()).allowed, { timeoutMs: 10_000, what: 'the session to be refused' });
    expect(await check()).toMatchObject({ allowed: false, reason: 'account-disabled' });
    // The readable log shows the event accepted, then handled.
    await waitFor(() => dev.output().includes('account state updated'), { what: 'the handler\'s log line' });
    expect(dev.output()).toMatch(/INFO: SET accepted .*"kakao\.account-disabled"/);

    dev.child.kill('SIGTERM');
    expect(await dev.exited).toBe(0);
    expect(dev.output()).toContain('shutting down');
  }, 90_000);
});
