import { z } from 'zod';
import { list, positiveInt } from '../config/env-helpers.js';

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
  /**
   * Change feed streams one process holds at once, and per token: more are refused with 429. Each
   * stream holds a connection, so the total stays below HTTP_MAX_CONNECTIONS and webhooks always
   * find one.
   */
  CHANGE_FEED_MAX_STREAMS: positiveInt.default(64),
  CHANGE_FEED_MAX_STREAMS_PER_TOKEN: positiveInt.default(16),
  /**
   * A stream whose reader falls behind is ended (the client reconnects and resyncs) once this many
   * bytes wait in the process for it, or once its socket has not drained for this long.
   */
  CHANGE_FEED_MAX_BUFFER_BYTES: z.coerce.number().int().min(1024, 'must be at least 1024 (bytes)').default(1024 * 1024),
  CHANGE_FEED_DRAIN_TIMEOUT_MS: positiveInt.default(5000),
};

type FeedEnv = { [K in keyof typeof accountsEnv]?: z.output<(typeof accountsEnv)[K]> } & { HTTP_MAX_CONNECTIONS?: number };

/**
 * Limits that only make sense together. Passed to `.superRefine(...)` of the whole schema, so a
 * problem here is listed with every other one.
 */
export const accountsEnvCheck = [
  (env: FeedEnv, ctx: z.RefinementCtx) => {
    const { CHANGE_FEED_MAX_STREAMS: total, CHANGE_FEED_MAX_STREAMS_PER_TOKEN: perToken, HTTP_MAX_CONNECTIONS: connections } = env;
    if (total !== undefined && perToken !== undefined && perToken > total) {
      ctx.addIssue({ code: 'custom', path: ['CHANGE_FEED_MAX_STREAMS_PER_TOKEN'], message: 'must not exceed CHANGE_FEED_MAX_STREAMS' });
    }
    // Only with the account API on: without it there are no streams to hold connections.
    const feedOn = (env.ACCOUNT_API_TOKENS?.length ?? 0) > 0;
    if (feedOn && total !== undefined && connections !== undefined && total >= connections) {
      ctx.addIssue({
        code: 'custom',
        path: ['CHANGE_FEED_MAX_STREAMS'],
        message: 'must be less than HTTP_MAX_CONNECTIONS: streams hold their connections, and webhooks need some left',
      });
    }
  },
  { when: (payload: { value: unknown }) => typeof payload.value === 'object' && payload.value !== null },
] as const;

type AccountsEnv = { [K in keyof typeof accountsEnv]: z.output<(typeof accountsEnv)[K]> };

export function accountsConfigOf(env: AccountsEnv) {
  return {
    /** Empty: the account API and feed routes are not registered. */
    apiTokens: env.ACCOUNT_API_TOKENS,
    builtInHandlers: env.BUILT_IN_HANDLERS as readonly BuiltInHandlerName[],
    changeFeed: {
      maxStreams: env.CHANGE_FEED_MAX_STREAMS,
      maxStreamsPerToken: env.CHANGE_FEED_MAX_STREAMS_PER_TOKEN,
      maxBufferedBytes: env.CHANGE_FEED_MAX_BUFFER_BYTES,
      drainTimeoutMs: env.CHANGE_FEED_DRAIN_TIMEOUT_MS,
    },
  };
}

export type AccountsConfig = ReturnType<typeof accountsConfigOf>;
