import { z } from 'zod';
import { list } from '../config/env-helpers.js';

/** The built-in handlers; BUILT_IN_HANDLERS=none switches them all off. */
export const BUILT_IN_HANDLERS = ['account-state'] as const;
export type BuiltInHandlerName = (typeof BUILT_IN_HANDLERS)[number];

/** The account-state module's part of the environment schema (composed in src/config/config.ts). */
export const accountsEnv = {
  /**
   * Bearer tokens that may read the account API and its change feed, comma-separated so that a
   * new token can be deployed before the old one is removed. Unset: the routes do not exist.
   */
  ACCOUNT_API_TOKENS: z
    .string()
    .optional()
    .transform((value) => (value ? list(value) : []))
    .pipe(z.array(z.string().min(16, 'each account API token must be at least 16 characters').regex(/^[\x21-\x7e]+$/, 'tokens are printable ASCII without spaces'))),
  /** Which built-in handlers run: a comma-separated list, `all` (default) or `none`. */
  BUILT_IN_HANDLERS: z
    .string()
    .default('all')
    .transform((value) => {
      const names = list(value);
      if (names.length === 1 && names[0] === 'all') return [...BUILT_IN_HANDLERS];
      if (names.length === 1 && names[0] === 'none') return [];
      return names;
    })
    .pipe(z.array(z.enum(BUILT_IN_HANDLERS, { error: `each name must be one of ${BUILT_IN_HANDLERS.join(', ')} (or all / none alone)` }))),
};

type AccountsEnv = { [K in keyof typeof accountsEnv]: z.output<(typeof accountsEnv)[K]> };

export function accountsConfigOf(env: AccountsEnv) {
  return {
    /** Empty: the account API and feed routes are not registered. */
    apiTokens: env.ACCOUNT_API_TOKENS,
    builtInHandlers: env.BUILT_IN_HANDLERS as readonly BuiltInHandlerName[],
  };
}

export type AccountsConfig = ReturnType<typeof accountsConfigOf>;
