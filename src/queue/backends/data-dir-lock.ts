import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import lockfile from 'proper-lockfile';
import { StartupError } from '../../errors.js';
import { DIR_MODE, FILE_MODE } from './data-dir-modes.js';

/**
 * One process at a time may open the embedded data directory: PGlite does not notice a second
 * one, and the second one's commits are silently lost (measured: both wrote, one survived).
 *
 * proper-lockfile makes the lock an atomically created directory whose mtime the holder renews
 * every few seconds. A holder that dies (SIGKILL, OOM, a container replaced on another host)
 * stops renewing it, and the lock is free once it is `staleMs` old; so a restart waits up to
 * that long instead of needing someone to delete a file. A live holder keeps it fresh, and a
 * second process gives up with a message naming the holder.
 */
export class DataDirLockedError extends StartupError {
  constructor(message: string) {
    super('ERR_DATA_DIR_LOCKED', message);
  }
}

export interface DataDirLockOptions {
  /** A lock not renewed for this long belongs to a dead process. */
  staleMs?: number;
}

export async function lockDataDir(dataDir: string, options: DataDirLockOptions = {}): Promise<() => Promise<void>> {
  const staleMs = options.staleMs ?? 10_000;
  mkdirSync(dataDir, { recursive: true, mode: DIR_MODE });
  const lockfilePath = join(dataDir, 'receiver.lock');
  const holderPath = join(dataDir, 'receiver.lock.holder.json'); // who holds it, for the message only
  // Long enough for a dead holder's lock to go stale, so a restart after a crash succeeds.
  const deadline = Date.now() + staleMs + 2_000;

  for (;;) {
    try {
      const release = await lockfile.lock(dataDir, { lockfilePath, stale: staleMs, update: Math.floor(staleMs / 4), realpath: false });
      // Owner-only like the rest of DATA_DIR; proper-lockfile makes its directory with the umask.
      chmodSync(lockfilePath, DIR_MODE);
      writeFileSync(holderPath, JSON.stringify({ pid: process.pid, hostname: hostname(), since: new Date().toISOString() }), { mode: FILE_MODE });
      chmodSync(holderPath, FILE_MODE);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      if (Date.now() > deadline) throw new DataDirLockedError(lockedMessage(dataDir, holderPath));
      await sleep(500);
    }
  }
}

/**
 * The refusal lockDataDir would end with, found without waiting: for a short-lived process (the
 * CLI) that should say at once that the service holds the directory. Undefined when the lock is
 * free or stale, in which case lockDataDir takes it at once.
 */
export async function checkDataDirLock(dataDir: string, options: DataDirLockOptions = {}): Promise<DataDirLockedError | undefined> {
  const lockfilePath = join(dataDir, 'receiver.lock');
  const held = await lockfile.check(dataDir, { lockfilePath, stale: options.staleMs ?? 10_000, realpath: false });
  return held ? new DataDirLockedError(lockedMessage(dataDir, join(dataDir, 'receiver.lock.holder.json'))) : undefined;
}

function lockedMessage(dataDir: string, holderPath: string): string {
  let holder = 'another process';
  try {
    const { pid, hostname: host, since } = JSON.parse(readFileSync(holderPath, 'utf8')) as { pid: number; hostname: string; since: string };
    holder = `process ${pid} on ${host} (since ${since})`;
  } catch {
    // the holder file is informational; the lock itself is what counts
  }
  return (
    `${dataDir} is in use by ${holder}. Only one process may use the embedded store: stop the other one, ` +
    'or run receivers and workers as separate processes against Redis (REDIS_URL) or PostgreSQL (DATABASE_URL).'
  );
}
