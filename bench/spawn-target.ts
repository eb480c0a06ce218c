/**
 * Starts bench/target.ts in a child process and waits for its URL. For profiling a target:
 * BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" (or "--trace-gc") adds node flags, and
 * BENCH_TARGET_LOG=<file> keeps its stdout (its logs, GC traces) instead of discarding it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';

export interface Target { url: string; child: ChildProcess; stop(): Promise<void> }

const ROOT = new URL('..', import.meta.url).pathname;

export async function spawnTarget(args: string[], env: Record<string, string>, nodeArgs: string[] = []): Promise<Target> {
  const child = spawn(process.execPath, [...nodeArgs, ...(process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : []), '--import', 'tsx', 'bench/target.ts', ...args], {
    cwd: ROOT,
    // glibc's MALLOC_* settings pass through (npm start sets two), so a run measures what they cost.
    env: { PATH: process.env.PATH ?? '', ...mallocEnv(), ...env },
    stdio: ['ignore', process.env.BENCH_TARGET_LOG ? openSync(process.env.BENCH_TARGET_LOG, 'a') : 'ignore', 'pipe'],
  });
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
