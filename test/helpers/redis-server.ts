import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A Redis of the test's own, on a free port, that the test may stop and start again. */
export interface OwnRedis {
  url: string;
  port: number;
  start(): Promise<void>;
  /** SIGKILL: the Redis process dies at once, as in a crash (the machine stays up). */
  stop(): Promise<void>;
}

export interface OwnRedisOptions {
  /**
   * Keep the data across stop() and start() in an append-only file in this directory
   * (`--appendonly yes --appendfsync everysec`, no RDB snapshots). Unset: nothing is persisted.
   */
  appendOnlyDir?: string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function persistenceArgs(options: OwnRedisOptions): string[] {
  // A directory of its own even without persistence: a node made a replica writes the snapshot
  // it receives to dump.rdb in its directory (the working directory by default).
  if (!options.appendOnlyDir) return ['--save', '', '--appendonly', 'no', '--dir', mkdtempSync(join(tmpdir(), 'own-redis-'))];
  return ['--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', options.appendOnlyDir];
}

export async function startOwnRedis(options: OwnRedisOptions = {}): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const own: OwnRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', ...persistenceArgs(options)], {
        stdio: 'ignore',
      });
      // While it loads the append-only file Redis answers LOADING, not PONG.
      for (let i = 0; i < 100; i += 1) {
        if (spawnSync('redis-cli', ['-p', String(port), 'ping']).stdout?.toString().trim() === 'PONG') return;
        await sleep(50);
      }
      throw new Error(`redis-server on port ${port} did not start`);
    },
    async stop() {
      if (!child) return;
      if (child.exitCode !== null || child.signalCode !== null) {
        child = undefined; // already gone: no exit event will come
        return;
      }
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      child = undefined;
    },
  };
  await own.start();
  return own;
}
