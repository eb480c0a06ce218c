import type { Logger } from 'pino';
import type { StoreConfig } from '../config/config.js';
import type { QueueBackend } from './backend.js';

/**
 * The configured store's backend. Each is imported only when chosen, so a process loads the
 * client of its own store only (pg and PGlite stay out of a Redis process, and so on).
 */
export async function createBackend(store: StoreConfig, log: Logger, options: { workers?: number } = {}): Promise<QueueBackend> {
  switch (store.kind) {
    case 'redis':
      return (await import('./backends/redis-backend.js')).createRedisBackend(store.redis, log);
    case 'postgres':
      return (await import('./backends/postgres-backend.js')).postgresBackendFromUrl(store.url, log);
    case 'embedded':
      return (await import('./backends/embedded-backend.js')).createEmbeddedBackend(store.dataDir, log, options);
  }
}
