import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/**
 * One process at a time may open the embedded data directory: PGlite does not notice a second
 * one, and the second one's commits are silently lost (measured: both wrote, one survived). The
 * lock is a file created exclusively, naming its holder; a holder that no longer runs (killed,
 * crashed) leaves a stale lock, which is taken over.
 */
export class DataDirLockedError extends Error {
  readonly code = 'ERR_DATA_DIR_LOCKED';
  constructor(message: string) {
    super(message);
    this.name = 'DataDirLockedError';
  }
}

interface Holder {
  pid: number;
  hostname: string;
  startedAt: string;
}

export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const lockPath = join(dataDir, 'receiver.lock');
  const me: Holder = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString() };

  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      const release = () => {
        if (readHolder(lockPath)?.pid === me.pid) rmSync(lockPath, { force: true });
      };
      process.once('exit', release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readHolder(lockPath);
    if (holder && holder.hostname !== me.hostname) {
      throw new DataDirLockedError(
        `${dataDir} is in use by process ${holder.pid} on host ${holder.hostname} (since ${holder.startedAt}). ` +
          `Only one process may use the embedded queue; if that process is gone, delete ${lockPath}.`,
      );
    }
    if (holder && holder.pid !== me.pid && isRunning(holder.pid)) {
      throw new DataDirLockedError(
        `${dataDir} is in use by process ${holder.pid} (since ${holder.startedAt}). Only one process may use the ` +
          'embedded queue: stop the other one, or run receivers and workers separately against Redis or PostgreSQL.',
      );
    }
    // The holder is gone (or is a previous life of this pid, as in a restarted container).
    rmSync(lockPath, { force: true });
  }
  throw new DataDirLockedError(`could not take the lock ${lockPath}`);
}

function readHolder(lockPath: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(lockPath, 'utf8')) as Holder;
  } catch {
    return undefined; // unreadable or half-written: treat as stale
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
