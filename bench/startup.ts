/**
 * What `npm start` starts, per store: time from spawn until GET /healthz answers 200, then the RSS
 * of the processes npm started (the service) after 5 s idle, read from /proc; npm's own process,
 * which a container does not run (the image starts node directly), is reported apart.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

export interface StartupRow {
  store: string;
  start: string;
  'ready ms': number | null;
  /** What npm start starts: every process under npm (npm's own process is counted apart). */
  'service RSS MiB': number | null;
  'npm itself MiB': number | null;
  processes: number;
  note: string;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** pid and its descendants, from each /proc/<pid>/stat's ppid. */
function tree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

function rssKiB(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

export async function measureStart(options: { store: string; start: string; env: Record<string, string | undefined>; idleMs?: number; timeoutMs?: number }): Promise<StartupRow> {
  const port = await freePort();
  const env: Record<string, string | undefined> = { ...process.env, REDIS_URL: undefined, DATABASE_URL: undefined, DATA_DIR: undefined, ...options.env, PORT: String(port), HOST: '127.0.0.1', QUEUE_NAME: `bench-start-${randomUUID()}` };
  for (const name of Object.keys(env)) if (env[name] === undefined) delete env[name];
  const started = performance.now();
  // Its own process group, so that SIGTERM reaches npm and everything it started, and nothing else.
  const child = spawn('npm', ['start', '--silent'], { cwd: process.cwd(), env: env as NodeJS.ProcessEnv, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.on('exit', () => ((exited = true), resolve())));
  const row: StartupRow = { store: options.store, start: options.start, 'ready ms': null, 'service RSS MiB': null, 'npm itself MiB': null, processes: 0, note: '' };
  try {
    const deadline = started + (options.timeoutMs ?? 60_000);
    while (performance.now() < deadline && !exited) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (response.status === 200) {
          row['ready ms'] = Math.round(performance.now() - started);
          break;
        }
      } catch {
        // not listening yet
      }
      await sleep(25);
    }
    if (row['ready ms'] === null) {
      row.note = exited ? `exited before ready: ${stderr.trim().slice(-300)}` : 'not ready within the timeout';
      return row;
    }
    await sleep(options.idleMs ?? 5000);
    const underNpm = tree(child.pid!).filter((pid) => pid !== child.pid);
    row.processes = underNpm.length;
    row['service RSS MiB'] = Math.round(underNpm.map(rssKiB).reduce((a, b) => a + b, 0) / 1024);
    row['npm itself MiB'] = Math.round(rssKiB(child.pid!) / 1024);
    return row;
  } finally {
    if (!exited) {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      const killed = await Promise.race([exit.then(() => true), sleep(15_000).then(() => false)]);
      if (!killed) {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
        await exit;
        row.note += ' (needed SIGKILL)';
      }
    }
  }
}
