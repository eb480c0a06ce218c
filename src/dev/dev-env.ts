import type { DevSecrets } from './secrets.js';

/**
 * The environment development mode gives the service: the user's own (PORT, HOST, DATA_DIR,
 * LOG_LEVEL and anything else the service reads), without a store, so events go to the embedded
 * store in DATA_DIR, and with every endpoint enabled by the development secrets. The result goes
 * through loadConfig like any other environment: development mode has no configuration of its own.
 */

/** Variables development mode sets itself; a value from the user's environment is ignored. */
export const DEV_OWNED_VARIABLES = [
  'KAKAO_ISSUER',
  'KAKAO_AUDIENCE',
  'KAKAO_JWKS_URI',
  'KAKAO_ALGORITHMS',
  'KAKAO_ADMIN_KEYS',
  'KAKAO_APP_ID',
  'LOGTO_SIGNING_KEYS',
  'ACCOUNT_API_TOKENS',
  'ADMIN_USER',
  'ADMIN_PASSWORD',
] as const;

/** Store selection: development mode always uses the embedded store. */
const STORE_VARIABLES = ['REDIS_URL', 'DATABASE_URL'] as const;

/**
 * Development mode listens on the loopback interface unless HOST says otherwise: its secrets are
 * printed on the terminal and its account API answers with them.
 */
export const DEV_DEFAULT_HOST = '127.0.0.1';

type Env = Record<string, string | undefined>;

/**
 * The user's variables development mode ignores, to warn about: a store URL would otherwise look
 * in use, and `send`, run from the same shell, signs with KAKAO_ADMIN_KEYS or LOGTO_SIGNING_KEYS
 * when they are set, not with the development keys.
 */
export function ignoredVariables(env: Env): string[] {
  return [...STORE_VARIABLES, ...DEV_OWNED_VARIABLES].filter((name) => env[name] !== undefined && env[name] !== '');
}

/** The user's environment minus what development mode decides; HOST defaults to loopback. */
export function userPartOf(env: Env): Env {
  const own = new Set<string>([...STORE_VARIABLES, ...DEV_OWNED_VARIABLES]);
  const kept = Object.fromEntries(Object.entries(env).filter(([name]) => !own.has(name)));
  return { ...kept, HOST: env.HOST || DEV_DEFAULT_HOST };
}

export function devServiceEnv(env: Env, secrets: DevSecrets, jwksUrl: string): Env {
  return {
    ...userPartOf(env),
    KAKAO_ISSUER: secrets.kakao.issuer,
    KAKAO_AUDIENCE: secrets.kakao.audience,
    KAKAO_JWKS_URI: jwksUrl,
    KAKAO_ALGORITHMS: 'RS256',
    KAKAO_ADMIN_KEYS: secrets.kakao.adminKey,
    KAKAO_APP_ID: secrets.kakao.appId,
    LOGTO_SIGNING_KEYS: secrets.logto.signingKey,
    ACCOUNT_API_TOKENS: secrets.accountApiToken,
    ADMIN_USER: secrets.dashboard.user,
    ADMIN_PASSWORD: secrets.dashboard.password,
  };
}
