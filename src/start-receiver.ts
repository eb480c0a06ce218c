import type { Logger } from 'pino';
import { loadConfig, type Config } from './config/config.js';
import type { RegisterHandlers } from './handlers/define-handlers.js';
import { registerHandlers as registerDefaultHandlers } from './handlers/index.js';
import { listeningUrl } from './http/listening-url.js';
import { createLogger } from './logger.js';
import { startService, type Role } from './service.js';

export interface ReceiverOptions {
  /**
   * The variables the service reads (README, "Configuration"); default `process.env`. The same
   * ones `npm start` and the image read, HANDLERS_MODULE included.
   */
  env?: Record<string, string | undefined>;
  /** Your handlers: one registering function or several, each run once at start-up (not with role `receiver`, which runs no handlers). */
  handlers?: RegisterHandlers | readonly RegisterHandlers[];
  /** `all` (default): receiver and worker in one process; `receiver` or `worker` need Redis or PostgreSQL. */
  role?: Role;
  /** Default: pino at LOG_LEVEL, JSON lines on stdout. */
  logger?: Logger;
}

export interface Receiver {
  /** Where HTTP listens, e.g. `http://127.0.0.1:3000` (a wildcard host is given as loopback). */
  url: string;
  port: number;
  /** The parsed configuration. */
  config: Config;
  /** Stops taking requests, lets active jobs finish and closes the store. Call it on SIGTERM. */
  close(): Promise<void>;
}

/**
 * Starts the service from your own code with your handlers, beside the built-in ones: the package
 * API counterpart of `npm start`. Throws ConfigError for a bad environment and StartupError when
 * the service cannot start as configured (both with a message fit for an operator).
 *
 * @example
 * const receiver = await startReceiver({
 *   handlers: (registry) => registry.on('kakao.user-unlinked', async (event) => unlink(event.subject!.id)),
 * });
 * process.once('SIGTERM', () => void receiver.close());
 */
export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const config = loadConfig(options.env ?? process.env);
  const logger = options.logger ?? createLogger(config.logLevel);
  const handlers: readonly RegisterHandlers[] = typeof options.handlers === 'function' ? [options.handlers] : (options.handlers ?? []);
  const service = await startService(config, {
    role: options.role ?? 'all',
    logger,
    async registerHandlers(registry) {
      registerDefaultHandlers(registry); // the stock error logging of src/handlers/index.ts
      for (const register of handlers) await register(registry);
    },
  });
  return { ...listeningUrl(service.app.server), config, close: () => service.close() };
}
