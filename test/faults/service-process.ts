import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { freePort } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * The service as `npm start` runs it: `src/main.ts` in a child process of its own, configured by
 * environment variables only, which a test can SIGKILL and start again on the same store.
 */
const ROOT = new URL('../..', import.meta.url).pathname;

export type Role = 'all' | 'receiver' | 'worker';

export interface ServiceProcess {
  role: Role;
  port: number;
  baseUrl: string;
  child: ChildProcess;
  /** Everything it printed (JSON log lines). */
  output(): string;
  /** Log lines whose message is `msg`. */
  countLogs(msg: string): number;
  /** SIGKILL, as an OOM killer would; resolves once the process is gone. */
  kill(): Promise<void>;
}

/** Children still running: killed when the test process exits, should that come before a test's cleanup. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** A unique queue per test: several tests may share a store. */
export const uniqueQueueName = () => `fault-${randomUUID()}`;

export async function startService(role: Role, env: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--role', role], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => live.delete(child));
  const baseUrl = `http://127.0.0.1:${port}`;
  const running: ServiceProcess = {
    role,
    port,
    baseUrl,
    child,
    output: () => output,
    countLogs: (msg) => output.split(`"msg":"${msg}"`).length - 1,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`--role ${role} exited with ${child.exitCode}:\n${output.slice(-3000)}`);
        return (await fetch(`${baseUrl}/healthz`).catch(() => undefined))?.ok;
      },
      { timeoutMs: 30_000, intervalMs: 50, what: `--role ${role} to answer /healthz` },
    );
  } catch (error) {
    await running.kill();
    throw error;
  }
  return running;
}

/** Until /readyz says the store (and, on a receiver, Kakao's keys) answer. */
export function waitUntilReady(service: ServiceProcess, timeoutMs = 30_000) {
  return waitFor(async () => (await fetch(`${service.baseUrl}/readyz`).catch(() => undefined))?.ok, {
    timeoutMs,
    intervalMs: 50,
    what: `--role ${service.role} to be ready`,
  });
}
