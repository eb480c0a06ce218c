import { z } from 'zod';
import { ConfigError } from '../../config/config.js';
import { list } from '../../config/env-helpers.js';

/**
 * The part of the environment `send` reads, parsed from what the CLI's entry point passes in:
 * where the development secrets are (DATA_DIR), where the service listens by default (PORT), and
 * the configured keys of a deployed instance, which take precedence over the development ones.
 */

/** The service's own default (src/config/config.ts), so `send` finds what `npm run dev` wrote. */
export const DEFAULT_DATA_DIR = './data';
export const DEFAULT_PORT = 3000;

/** The configured keys `send` prefers to the development ones. */
export const SEND_KEY_VARIABLES: readonly string[] = ['KAKAO_ADMIN_KEYS', 'KAKAO_APP_ID', 'LOGTO_SIGNING_KEYS'];

const keys = z
  .string()
  .optional()
  .transform((value) => (value ? list(value) : []));

const sendEnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).optional(),
  DATA_DIR: z.string().min(1).default(DEFAULT_DATA_DIR),
  KAKAO_ADMIN_KEYS: keys,
  KAKAO_APP_ID: keys,
  LOGTO_SIGNING_KEYS: keys,
});

export interface SendSettings {
  dataDir: string;
  /** http://127.0.0.1:$PORT, 3000 when PORT is unset or 0 (a port picked at start cannot be guessed). */
  defaultBaseUrl: string;
  /** The first configured key of each kind: the one a rotation made current. */
  kakaoAdminKey?: string;
  kakaoAppId?: string;
  logtoSigningKey?: string;
}

export function sendSettingsOf(env: Readonly<Record<string, string | undefined>>): SendSettings {
  // Empty strings mean "unset", as they do for the service.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = sendEnvSchema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${String(issue.path[0] ?? '(environment)')}: ${issue.message}`));
  }
  const parsed = result.data;
  return {
    dataDir: parsed.DATA_DIR,
    defaultBaseUrl: `http://127.0.0.1:${parsed.PORT || DEFAULT_PORT}`,
    ...(parsed.KAKAO_ADMIN_KEYS[0] ? { kakaoAdminKey: parsed.KAKAO_ADMIN_KEYS[0] } : {}),
    ...(parsed.KAKAO_APP_ID[0] ? { kakaoAppId: parsed.KAKAO_APP_ID[0] } : {}),
    ...(parsed.LOGTO_SIGNING_KEYS[0] ? { logtoSigningKey: parsed.LOGTO_SIGNING_KEYS[0] } : {}),
  };
}
