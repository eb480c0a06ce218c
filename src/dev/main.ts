import closeWithGrace from 'close-with-grace';
import pretty from 'pino-pretty';
import { ConfigError } from '../config/config.js';
import { StartupError } from '../errors.js';
import { createLogger } from '../logger.js';
import { DevModeError } from './dev-mode-error.js';
import { DevSecretsError } from './secrets.js';
import { startDevMode, type DevMode } from './start-dev-mode.js';

/**
 * Entry point of `npm run dev`: the service in development mode, logs made readable by
 * pino-pretty. Reads the environment once, like src/main.ts. Refuses NODE_ENV=production.
 */
const env = process.env;
// Written synchronously, so the commands printed after start-up come after the start-up lines.
// One line per entry, as in production, only in words rather than JSON.
const readable = pretty({ sync: true, singleLine: true, colorize: Boolean(process.stdout.isTTY), translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });

let dev: DevMode;
try {
  dev = await startDevMode({ env, createLogger: (level) => createLogger(level, readable) });
} catch (error) {
  const known = error instanceof DevModeError || error instanceof ConfigError || error instanceof DevSecretsError || error instanceof StartupError;
  if (!known) throw error;
  console.error(error.message);
  process.exit(1);
}

process.stdout.write(dev.instructions);
const log = dev.service.app.log;

closeWithGrace({ delay: dev.config.shutdownGraceMs, logger: log }, async ({ signal, err }) => {
  if (err) log.error({ err }, 'shutting down after an error');
  else log.info({ signal }, 'shutting down');
  await dev.close();
});
