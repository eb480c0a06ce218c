import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from '../helpers/wait-for.js';

/** A Node.js process of the test's, whose output the test reads line by line. */
export interface NodeProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
  /** Waits for a stdout line that is JSON and satisfies `match`; returns it parsed. */
  jsonLine(match: (line: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

export function startNode(args: string[], options: { cwd: string; env: Record<string, string> }): NodeProcess {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    // Only what the test names: no store URL from the developer's shell.
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let output = '';
  child.stdout!.on('data', (chunk) => {
    stdout += chunk;
    output += chunk;
  });
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const parsed = () =>
    stdout.split('\n').flatMap((line) => {
      try {
        const value: unknown = JSON.parse(line);
        return value && typeof value === 'object' ? [value as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
  return {
    child,
    exited,
    output: () => output,
    async jsonLine(match, what, timeoutMs = 30_000) {
      try {
        return await waitFor(() => parsed().find(match), { timeoutMs, what });
      } catch (error) {
        throw new Error(`${(error as Error).message}; the process wrote:\n${output}`, { cause: error });
      }
    },
  };
}
