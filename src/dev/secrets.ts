import { createPublicKey, generateKeyPairSync, randomBytes, randomInt, type JsonWebKey } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';

/**
 * The development secrets: everything development mode enables endpoints with, and everything
 * `npm run cli -- send` signs test events with. Generated on the first `npm run dev` into
 * DATA_DIR/dev/secrets.json (mode 0600) and reused afterwards, so `send` finds them given the
 * same DATA_DIR. They are trusted nowhere else: a normal start never reads this file, and Kakao's
 * JWKS never holds the development key.
 */
export const DEV_SECRETS_VERSION = 1;

/** Kakao's own issuer: development tokens differ from Kakao's only by their key. */
export const DEV_KAKAO_ISSUER = 'https://kauth.kakao.com';

export type DevSecretsErrorCode = 'ERR_DEV_SECRETS_MISSING' | 'ERR_DEV_SECRETS_INVALID';

export class DevSecretsError extends Error {
  constructor(
    readonly code: DevSecretsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DevSecretsError';
  }
}

const jwk = z.looseObject({ kty: z.literal('RSA'), kid: z.string().min(1), alg: z.literal('RS256'), n: z.string(), e: z.string() });

const devSecretsSchema = z.object({
  version: z.literal(DEV_SECRETS_VERSION),
  createdAt: z.string(),
  kakao: z.object({
    /** The private key, as a JWK; its public half is the development JWKS. */
    signingKey: jwk.extend({ d: z.string() }),
    issuer: z.string().min(1),
    /** KAKAO_AUDIENCE: stands for the app's REST API key. */
    audience: z.string().min(1),
    /** KAKAO_ADMIN_KEYS: stands for the primary admin key (32 hex digits, like Kakao's). */
    adminKey: z.string().min(16),
    /** KAKAO_APP_ID: a positive decimal, like Kakao's. */
    appId: z.string().regex(/^[1-9][0-9]{0,19}$/),
  }),
  logto: z.object({ signingKey: z.string().regex(/^\S+$/) }),
  /** ACCOUNT_API_TOKENS. */
  accountApiToken: z.string().min(16),
  /** ADMIN_USER and ADMIN_PASSWORD of the queue dashboard. */
  dashboard: z.object({ user: z.string().min(1), password: z.string().min(12) }),
});

export type DevSecrets = z.output<typeof devSecretsSchema>;
export type DevKakaoSecrets = DevSecrets['kakao'];

/** Where the development secrets of a data directory live. */
export function devSecretsPath(dataDir: string): string {
  return join(resolve(dataDir), 'dev', 'secrets.json');
}

/** The public half of the development key, as the JWKS serves it. */
export function publicJwkOf(signingKey: DevKakaoSecrets['signingKey']): JsonWebKey {
  const { kid, alg } = signingKey;
  const publicKey = createPublicKey({ key: signingKey as JsonWebKey, format: 'jwk' }).export({ format: 'jwk' });
  return { ...publicKey, kid, alg, use: 'sig' };
}

export function generateDevSecrets(now = new Date()): DevSecrets {
  const hex = (bytes: number) => randomBytes(bytes).toString('hex');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: `dev-${hex(4)}`, alg: 'RS256' as const };
  return devSecretsSchema.parse({
    version: DEV_SECRETS_VERSION,
    createdAt: now.toISOString(),
    kakao: {
      signingKey,
      issuer: DEV_KAKAO_ISSUER,
      audience: `dev-rest-api-key-${hex(8)}`,
      adminKey: hex(16),
      appId: String(randomInt(1_000_000, 10_000_000)),
    },
    logto: { signingKey: randomBytes(24).toString('base64url') },
    accountApiToken: `dev-account-token-${hex(12)}`,
    dashboard: { user: 'dev', password: hex(12) },
  });
}

/**
 * The secrets of `dataDir`; throws ERR_DEV_SECRETS_MISSING when development mode has never run
 * there, and ERR_DEV_SECRETS_INVALID when the file is not one this version wrote.
 */
export function readDevSecrets(dataDir: string): DevSecrets {
  const path = devSecretsPath(dataDir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new DevSecretsError(
      'ERR_DEV_SECRETS_MISSING',
      `no development secrets in ${path}: run npm run dev first, or set DATA_DIR to the data directory npm run dev uses`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const result = devSecretsSchema.safeParse(parsed);
  if (!result.success) {
    throw new DevSecretsError(
      'ERR_DEV_SECRETS_INVALID',
      `${path} is not a development secrets file this version understands: delete it, and npm run dev generates new ones`,
    );
  }
  return result.data;
}

export interface LoadedDevSecrets {
  secrets: DevSecrets;
  path: string;
  /** True when this call generated them. */
  created: boolean;
}

/** The secrets of `dataDir`, generated and saved there first if it has none. */
export function loadOrCreateDevSecrets(dataDir: string): LoadedDevSecrets {
  const path = devSecretsPath(dataDir);
  try {
    return { secrets: readOwnerOnly(dataDir, path), path, created: false };
  } catch (error) {
    if (!(error instanceof DevSecretsError && error.code === 'ERR_DEV_SECRETS_MISSING')) throw error;
  }
  const secrets = generateDevSecrets();
  if (!createExclusively(path, `${JSON.stringify(secrets, null, 2)}\n`)) {
    // Another process created them between our read and our write: theirs are the ones in use.
    return { secrets: readOwnerOnly(dataDir, path), path, created: false };
  }
  return { secrets, path, created: true };
}

/** Reads the file, first narrowing its mode to 0600 if someone widened it: it holds private keys. */
function readOwnerOnly(dataDir: string, path: string): DevSecrets {
  const secrets = readDevSecrets(dataDir);
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  return secrets;
}

/**
 * Writes `text` to `path` only if nothing is there, all at once: the file is written in full
 * under a temporary name, then hard-linked into place, which fails if `path` exists. So a reader
 * never sees half a file, and two first starts never overwrite each other's keys.
 */
function createExclusively(path: string, text: string): boolean {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, text, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
}
