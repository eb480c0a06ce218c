import type { Logger } from 'pino';
import type { QueueBackend } from '../backend.js';
import { createEmbeddedForget } from './embedded-forget.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { embeddedTemplate } from './embedded-template.js';
import { createPostgresQueueBackend } from './postgres-backend.js';

export interface EmbeddedBackendOptions {
  /** BullMQ workers this process will run (the event worker, one per forwarding target); default 1. */
  workers?: number;
  /** false: a new database is made by initdb, not from the template built with the package. */
  fromTemplate?: boolean;
}

/**
 * The default when neither REDIS_URL nor DATABASE_URL is set: BullMQ's PostgreSQL backend on
 * PGlite in this process, stored in DATA_DIR. Durable across crashes; one process only.
 */
export async function createEmbeddedBackend(dataDir: string, log: Logger, options: EmbeddedBackendOptions = {}): Promise<QueueBackend> {
  const started = Date.now();
  const embedded = await startEmbeddedPostgres(dataDir, options.fromTemplate === false ? undefined : embeddedTemplate());
  if (embedded.loosenedEntries > 0) {
    log.warn(
      { dataDir: embedded.dataDir, entries: embedded.loosenedEntries },
      'DATA_DIR was open to other users: its directories are now 0700 and its files 0600',
    );
  }
  log.info({ dataDir: embedded.dataDir, ms: Date.now() - started }, 'embedded queue store opened');
  try {
    return await createPostgresQueueBackend(
    {
      connection: embedded.connection,
      description: `the embedded store in ${embedded.dataDir}`,
      drainDelaySeconds: 0.2,
      // Each BullMQ worker keeps one pool client for LISTEN as long as it runs: with fewer than
      // workers + 1 clients, the queries wait forever for a free one. Two left for queries.
      sharedPoolSize: (options.workers ?? 1) + 2,
      forgetDeleted: createEmbeddedForget,
      onClose: () => embedded.close(),
    },
    log,
    );
  } catch (error) {
    await embedded.close();
    throw error;
  }
}
