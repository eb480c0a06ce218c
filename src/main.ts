import closeWithGrace from 'close-with-grace';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config/config.js';
import { createLogger } from './logger.js';
import { StartupError } from './errors.js';
import { startService, type Role } from './service.js';

/** Entry point: `npm start [-- --role all|receiver|worker]`. Reads the environment once. */
const ROLES: readonly Role[] = ['all', 'receiver', 'worker'];
const { values } = parseArgs({ options: { role: { type: 'string', default: 'all' } } });
const role = values.role as Role;
if (!ROLES.includes(role)) {
  console.error(`--role must be one of ${ROLES.join(', ')}; got "${values.role}"`);
  process.exit(2);
}

let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

const logger = createLogger(config.logLevel);
let service;
try {
  service = await startService(config, { role, logger });
} catch (error) {
  // E.g. a second process on the embedded data directory: say so plainly, without a stack trace.
  if (!(error instanceof StartupError)) throw error;
  logger.fatal(error.message);
  console.error(error.message);
  process.exit(1);
}

closeWithGrace({ delay: config.shutdownGraceMs, logger }, async ({ signal, err }) => {
  if (err) logger.error({ err }, 'shutting down after an error');
  else logger.info({ signal }, 'shutting down');
  await service.close();
});
