/**
 * Starts bench/target.ts in a child process and waits for its URL. For profiling a target:
 * BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" (or "--trace-gc") adds node flags, and
 * BENCH_TARGET_LOG=<file> keeps its stdout (its logs, GC traces) instead of discarding it;
 * `options.logFile` does the same for one target (a bench that counts the target's log bytes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './startup.js';

export interface Target { url: string; child: ChildProcess; stop(): Promise<void> }

const ROOT = new URL('..', import.meta.url).pathname;

export async function spawnTarget(args: string[], env: Record<string, string>, nodeArgs: string[] = [], options: { logFile?: string } = {}): Promise<Target> {
  const logFile = options.logFile ?? process.env.BENCH_TARGET_LOG;
  const logFd = logFile ? openSync(logFile, 'a') : undefined;
  const child = spawn(process.execPath, [...nodeArgs, ...(process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : []), '--import', 'tsx', 'bench/target.ts', ...args], {
    cwd: ROOT,
    // glibc's MALLOC_* settings pass through (npm start sets two), so a run measures what they cost.
    env: { PATH: process.env.PATH ?? '', ...mallocEnv(), ...env },
    stdio: ['ignore', logFd ?? 'ignore', 'pipe'],
  });
  if (logFd !== undefined) closeSync(logFd); // the child has its own copy
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk;
      const line = /^\{"url":.*\}$/m.exec(err);
      if (line) resolve((JSON.parse(line[0]) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`bench target ${args.join(' ')} exited (${code}) before listening:\n${err}`)));
  });
  return {
    url,
    child,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function mallocEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[0].startsWith('MALLOC_') && entry[1] !== undefined));
}

/**
 * The built service as `npm start` runs it: `node dist/main.js --role <role>` (npm's own process
 * left out), with npm start's glibc settings unless `env` sets others, on a free port of
 * 127.0.0.1; ready once GET /readyz answers 200 (the store answers, Kakao's keys are fetched).
 * `npm run bench` builds dist/ first. Its stdout (the log) goes to `options.logFile`, if given;
 * BENCH_NODE_ARGS adds node flags, as for spawnTarget.
 */
export async function spawnBuilt(role: string, env: Record<string, string>, options: { logFile?: string; timeoutMs?: number } = {}): Promise<Target> {
  if (!existsSync(join(ROOT, 'dist/main.js'))) throw new Error('dist/main.js is missing: run npm run build (npm run bench does)');
  const port = await freePort();
  const logFd = options.logFile ? openSync(options.logFile, 'a') : undefined;
  const child = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : []), 'dist/main.js', '--role', role], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', MALLOC_ARENA_MAX: '1', MALLOC_MMAP_THRESHOLD_: '131072', ...mallocEnv(), ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', logFd ?? 'ignore', 'pipe'],
  });
  if (logFd !== undefined) closeSync(logFd);
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-4000)));
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => child.once('exit', (code) => ((exitCode = code), resolve())));
  const url = `http://127.0.0.1:${port}`;
  const deadline = performance.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (exitCode !== undefined) throw new Error(`node dist/main.js --role ${role} exited (${exitCode}) before it was ready:\n${err}`);
    try {
      if ((await statusOf(`${url}/readyz`)) === 200) break;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`node dist/main.js --role ${role} was not ready within ${options.timeoutMs ?? 30_000} ms:\n${err}`);
    }
    await sleep(50);
  }
  return {
    url,
    child,
    async stop() {
      if (exitCode === undefined) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The status of GET `url` on a connection of its own, closed after (none lingers in a pool). */
export function statusOf(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode!);
    }).on('error', reject);
  });
}
