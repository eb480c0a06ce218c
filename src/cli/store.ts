import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../config/config.js';
import { checkDataDirLock } from '../queue/backends/data-dir-lock.js';
import { forwardQueueName } from '../forwarding/queues.js';
import { createBackend } from '../queue/create-backend.js';
import { CliError, type OpenedQueue } from './program.js';

/** Longest the CLI waits for the store's first answer: BullMQ waits for Redis forever otherwise. */
const ANSWER_TIMEOUT_MS = 5000;
/** Longest the CLI waits for a store that stopped answering to close, before it exits anyway. */
const CLOSE_TIMEOUT_MS = 3000;

/**
 * The service's queue, found as the service finds it: `loadConfig(env)` selects Redis, PostgreSQL
 * or the embedded store in DATA_DIR, and QUEUE_NAME. With `target`, the queue of that forwarding
 * target's deliveries (the target must be configured, as the service's FORWARD_* variables
 * configure it). The CLI's own errors are its messages, so the store's logger is silent.
 */
export async function openQueueFromEnv(env: Record<string, string | undefined>, target?: string): Promise<OpenedQueue> {
  const config = loadConfig(env);
  if (target !== undefined) {
    const names = config.forwarding?.targets.map((configured) => configured.name) ?? [];
    if (!names.includes(target)) {
      throw new CliError(
        names.length === 0
          ? `no forwarding target is configured: set FORWARD_URL or FORWARD_TARGETS as the service has them`
          : `no forwarding target named ${target}; configured: ${names.join(', ')}`,
      );
    }
  }
  const queueName = target === undefined ? config.queue.name : forwardQueueName(config.queue.name, target);
  if (config.store.kind === 'embedded') {
    const dataDir = resolve(config.store.dataDir);
    // Opening an empty directory would create a new, empty store and report no failed jobs.
    if (!existsSync(join(dataDir, 'pglite'))) {
      throw new CliError(`no embedded store in ${dataDir}: set DATA_DIR to the service's data directory, or REDIS_URL / DATABASE_URL`);
    }
    // One process per data directory: while the service runs, say so at once rather than after
    // the ~12 s lockDataDir waits for a crashed holder's lock to go stale.
    const locked = await checkDataDirLock(dataDir);
    if (locked) throw locked;
  }
  const backend = await createBackend(config.store, pino({ level: 'silent' }));
  const queue = backend.createQueue(queueName, {});
  queue.on('error', () => {}); // every failure reaches the command as a rejected call
  const close = async () => {
    await settle(CLOSE_TIMEOUT_MS, queue.close());
    await settle(CLOSE_TIMEOUT_MS, backend.close());
  };
  // An unreachable store is an error at once, not a command that hangs while BullMQ reconnects.
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      queue.getFailedCount(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ANSWER_TIMEOUT_MS / 1000} s`)), ANSWER_TIMEOUT_MS))),
    ]);
  } catch (error) {
    await close();
    throw new CliError(`${backend.description} does not answer: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    clearTimeout(timer);
  }
  return { queue, description: backend.description, close };
}

/** Waits for `work` to settle, at most `ms`. */
async function settle(ms: number, work: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work.catch(() => {}), new Promise((done) => (timer = setTimeout(done, ms)))]);
  clearTimeout(timer);
}
