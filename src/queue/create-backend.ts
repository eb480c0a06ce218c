import type { Logger } from 'pino';
import type { StoreConfig } from '../config/config.js';
import type { QueueBackend } from './backend.js';
import { createEmbeddedBackend } from './backends/embedded-backend.js';
import { postgresBackendFromUrl } from './backends/postgres-backend.js';
import { createRedisBackend } from './backends/redis-backend.js';

export async function createBackend(store: StoreConfig, log: Logger): Promise<QueueBackend> {
  switch (store.kind) {
    case 'redis':
      return createRedisBackend(store.url, log);
    case 'postgres':
      return postgresBackendFromUrl(store.url, log);
    case 'embedded':
      return createEmbeddedBackend(store.dataDir, log);
  }
}
