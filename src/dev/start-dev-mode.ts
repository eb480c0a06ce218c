import type { Logger } from 'pino';
import { loadConfig, type Config } from '../config/config.js';
import type { HandlerRegistry } from '../handlers/registry.js';
import { listeningUrl } from '../http/listening-url.js';
import { startService, type Service } from '../service.js';
import { SEND_KEY_VARIABLES } from '../cli/send/send-env.js';
import { devServiceEnv, ignoredVariables, userPartOf } from './dev-env.js';
import { DevModeError } from './dev-mode-error.js';
import { devInstructions } from './instructions.js';
import { startDevJwksServer, type DevJwksServer } from './jwks-server.js';
import { loadOrCreateDevSecrets, publicJwkOf, type LoadedDevSecrets } from './secrets.js';

/**
 * Development mode: the service as `npm start` runs it (loadConfig, then startService, role
 * `all`, the embedded store in DATA_DIR), with every endpoint enabled by the development secrets
 * and Kakao's JWKS replaced by one holding the development key. Only the environment differs.
 */
export interface DevModeOptions {
  /** The user's environment: PORT, HOST, DATA_DIR, LOG_LEVEL and the rest, as for `npm start`. */
  env: Readonly<Record<string, string | undefined>>;
  /** The logger of development mode and the service, at the configured level (LOG_LEVEL). */
  createLogger(level: string): Logger;
  /** Replaces the default handlers (tests); the built-in ones still run. */
  registerHandlers?: (registry: HandlerRegistry) => void;
}

export interface DevMode {
  service: Service;
  config: Config;
  secrets: LoadedDevSecrets;
  jwks: DevJwksServer;
  /** Where the service answers, e.g. http://127.0.0.1:3000. */
  baseUrl: string;
  /** The commands to send events and read the account state, as printed at start. */
  instructions: string;
  /** The user's variables that development mode replaced, to warn about. */
  ignored: string[];
  close(): Promise<void>;
}

export const PRODUCTION_REFUSAL =
  'development mode refuses to start with NODE_ENV=production: it enables every endpoint with development secrets ' +
  'and trusts a development signing key. Run npm start with your real configuration instead.';

export async function startDevMode(options: DevModeOptions): Promise<DevMode> {
  const { env } = options;
  if (env.NODE_ENV === 'production') throw new DevModeError('ERR_DEV_MODE_IN_PRODUCTION', PRODUCTION_REFUSAL);

  // The user's part alone first: a bad PORT or DATA_DIR is reported before any key is generated,
  // and DATA_DIR gets the service's own default.
  const userConfig = loadConfig(userPartOf(env));
  if (userConfig.store.kind !== 'embedded') throw new Error('unreachable: development mode clears REDIS_URL and DATABASE_URL');
  const logger = options.createLogger(userConfig.logLevel);
  const ignored = ignoredVariables(env);
  warnAboutIgnored(logger, ignored);
  const secrets = loadOrCreateDevSecrets(userConfig.store.dataDir);
  logger.info({ path: secrets.path }, secrets.created ? 'generated development secrets' : 'using the development secrets generated before');
  const { signingKey } = secrets.secrets.kakao;

  // Listening before the service starts, so the service's start-up fetch of the JWKS succeeds.
  const jwks = await startDevJwksServer(publicJwkOf(signingKey));
  try {
    const config = loadConfig(devServiceEnv(env, secrets.secrets, jwks.url));
    const service = await startService(config, {
      role: 'all',
      logger,
      ...(options.registerHandlers ? { registerHandlers: options.registerHandlers } : {}),
    });
    const baseUrl = listeningUrl(service.app.server).url;
    return {
      service,
      config,
      secrets,
      jwks,
      baseUrl,
      ignored,
      instructions: devInstructions({
        baseUrl,
        dataDir: userConfig.store.dataDir,
        secretsPath: secrets.path,
        accountApiToken: secrets.secrets.accountApiToken,
        dashboard: secrets.secrets.dashboard,
        kid: signingKey.kid,
        jwksUrl: jwks.url,
        sessionIssuedAt: new Date(),
      }),
      async close() {
        await service.close();
        await jwks.close();
      },
    };
  } catch (error) {
    await jwks.close();
    throw error;
  }
}

function warnAboutIgnored(logger: Logger, ignored: readonly string[]): void {
  if (ignored.length === 0) return;
  logger.warn({ ignored }, `development mode ignores ${ignored.join(', ')}: it uses the embedded store and its own secrets`);
  const usedBySend = ignored.filter((name) => SEND_KEY_VARIABLES.includes(name));
  if (usedBySend.length > 0) {
    logger.warn(`npm run cli -- send signs with ${usedBySend.join(', ')} when set: unset them where you run it, or its events are refused here`);
  }
}
