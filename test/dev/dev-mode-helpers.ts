import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startDevMode, type DevMode } from '../../src/dev/start-dev-mode.js';
import type { EventOf } from '../../src/events/catalog.js';
import { atMost } from '../helpers/wait-for.js';

/** The project root, where `npm run dev` and `npm run cli` run. */
export const ROOT = new URL('../..', import.meta.url).pathname;

export const tempDataDir = () => mkdtempSync(join(tmpdir(), 'receiver-dev-'));

export interface TestDevMode {
  dev: DevMode;
  dataDir: string;
  /** Every event the worker handed to the handlers, in order. */
  received: EventOf[];
  /** Stops the service; removes the data directory unless `keepDataDir`. */
  close(options?: { keepDataDir?: boolean }): Promise<void>;
}

/**
 * Development mode in this process, as `npm run dev` starts it, on a free port and a data
 * directory of its own, with a handler that records every event beside the built-in one.
 */
export async function startTestDevMode(env: Record<string, string | undefined> = {}, dataDir = tempDataDir()): Promise<TestDevMode> {
  const received: EventOf[] = [];
  const dev = await startDevMode({
    env: { PORT: '0', LOG_LEVEL: 'silent', DATA_DIR: dataDir, JOB_BACKOFF_MS: '50', ...env },
    createLogger: (level) => pino({ level }),
    registerHandlers: (registry) => registry.onAny((event) => void received.push(event)),
  });
  return {
    dev,
    dataDir,
    received,
    async close(options = {}) {
      await atMost(dev.close(), 15_000);
      if (!options.keepDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
