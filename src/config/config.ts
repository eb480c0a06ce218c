import { z } from 'zod';
import { accountsConfigOf, accountsEnv, accountsEnvCheck } from '../accounts/config.js';
import { adminConfigOf, adminEnv, adminEnvCheck } from '../admin/config.js';
import { forwardingConfigOf, forwardingEnv, forwardingEnvCheck } from '../forwarding/config.js';
import { handlersConfigOf, handlersEnv } from '../handlers/config.js';
import { redisConfigOf, redisEnv, redisEnvCheck, type RedisConfig } from '../queue/redis/config.js';
import { list, nonNegativeInt, positiveInt } from './env-helpers.js';

/**
 * The whole configuration of the service, read from environment variables once at start-up.
 * Nothing else in the code base reads `process.env`: entry points call `loadConfig()` and pass
 * the result down.
 */

/** HMAC algorithms would let anyone holding the public JWKS forge tokens; `none` is no signature. */
const ASYMMETRIC_JWS_ALGORITHMS = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519',
] as const;

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

const EnvSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).default('0.0.0.0'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Where events are stored: Redis if a Redis variable is set (src/queue/redis/config.ts), else PostgreSQL if DATABASE_URL is, else embedded. */
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' }).optional(),
    DATA_DIR: z.string().min(1).default('./data'),
    QUEUE_NAME: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only').default('webhook-events'),
    /** How long a delivery id is remembered: a redelivery inside this window creates no job. */
    DEDUPE_WINDOW_SECONDS: positiveInt.default(7 * 24 * 3600),
    /** Failed jobs are kept this long for inspection and replay. */
    FAILED_JOB_RETENTION_SECONDS: positiveInt.default(30 * 24 * 3600),
    JOB_ATTEMPTS: positiveInt.default(8),
    JOB_BACKOFF_MS: positiveInt.default(1000),
    WORKER_CONCURRENCY: positiveInt.default(10),
    /**
     * How long a worker's claim on a job lasts unrenewed (BullMQ's lockDuration), and how often
     * workers look for lapsed claims (stalledInterval). A worker that dies (SIGKILL, OOM) leaves
     * its active jobs claimed; another worker takes them up within about twice this. Shorter
     * recovers sooner, but an event loop blocked longer than this loses its jobs to another
     * worker: the handler runs twice, and a job that stalls twice fails.
     */
    WORKER_LOCK_DURATION_MS: z.coerce.number().int().min(1000, 'must be at least 1000 (ms)').default(30_000),
    /** Longest a request waits on the queue before answering 503. */
    QUEUE_TIMEOUT_MS: positiveInt.default(1000),
    /** Retry-After sent with a 503 caused by the queue. */
    RETRY_AFTER_SECONDS: positiveInt.default(5),
    SHUTDOWN_GRACE_MS: positiveInt.default(10_000),
    WEBHOOK_BODY_LIMIT: positiveInt.default(64 * 1024),
    /** The whole request, headers and body, must arrive within this; the connection is closed otherwise. */
    HTTP_REQUEST_TIMEOUT_MS: positiveInt.default(10_000),
    /** Connections the HTTP server holds at once; more are closed as they arrive. */
    HTTP_MAX_CONNECTIONS: positiveInt.default(256),
    /** Serve /metrics on this port only (on METRICS_HOST), not on PORT. */
    METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
    METRICS_HOST: z.string().min(1).default('127.0.0.1'),
    /** /metrics is rendered at most once per this many ms; scrapes meanwhile share the text. */
    METRICS_CACHE_MS: z.coerce.number().int().min(0).default(1000),

    KAKAO_ISSUER: z.string().min(1).default('https://kauth.kakao.com'),
    KAKAO_JWKS_URI: httpUrl.default('https://kauth.kakao.com/.well-known/jwks.json'),
    /** Kakao's `aud` is most likely the REST API key, possibly the app id: any listed value is accepted. */
    KAKAO_AUDIENCE: z.string().optional().transform((value) => (value ? list(value) : [])),
    KAKAO_ALGORITHMS: z
      .string()
      .default('RS256')
      .transform(list)
      .pipe(z.array(z.enum(ASYMMETRIC_JWS_ALGORITHMS, { error: 'only asymmetric JWS algorithms (RS256, ES256, ...) are allowed' })).min(1)),
    JWKS_TIMEOUT_MS: positiveInt.default(1000),
    JWKS_COOLDOWN_MS: nonNegativeInt.default(30_000),
    JWKS_CACHE_MAX_AGE_MS: positiveInt.default(10 * 60_000),

    /**
     * The app's primary admin key(s), comma-separated: Kakao sends the current primary key as
     * `Authorization: KakaoAK <key>`, so list the old and the new key while rotating.
     */
    KAKAO_ADMIN_KEYS: z
      .string()
      .optional()
      .transform((value) => (value ? list(value) : []))
      .pipe(z.array(z.string().min(16, 'each admin key must be at least 16 characters (Kakao admin keys are 32)'))),
    /** App id(s) whose unlink webhooks are accepted, comma-separated; unset accepts any app id. */
    KAKAO_APP_ID: z.string().optional().transform((value) => (value ? list(value) : [])),
    /**
     * The unlink webhook carries no delivery id: the same (app, user, referrer_type) inside this
     * window counts as a redelivery. Short, because a later genuine unlink of the same user (after
     * a re-link) inside the window would be swallowed; see src/providers/kakao/unlink-event.ts.
     */
    KAKAO_UNLINK_DEDUPE_SECONDS: positiveInt.default(3600),

    /**
     * Every key that may have signed a Logto webhook. Several during a rotation: Logto replaces a
     * key at once, so the old one must keep verifying until the new one is deployed.
     */
    LOGTO_SIGNING_KEYS: z
      .string()
      .optional()
      .transform((value) => (value === undefined ? undefined : list(value)))
      .pipe(
        z
          .array(z.string().regex(/^\S+$/, 'a signing key must not contain whitespace'))
          .min(1, 'is set but holds no key (comma-separated keys expected)')
          .optional(),
      ),
    /** Oldest `createdAt` accepted; 0 disables the bound. Logto has no other replay protection. */
    LOGTO_MAX_AGE_SECONDS: nonNegativeInt.default(600),
    /**
     * Logto's largest payload is Organization.Membership.Updated: at most 4 lists of 5,000 ids
     * (Logto caps the delta), about 0.5 MB. Twice that, and no more: every connection may hold a
     * body this large until HTTP_REQUEST_TIMEOUT_MS before its signature can be checked.
     */
    LOGTO_BODY_LIMIT: positiveInt.default(1024 * 1024),

    ...accountsEnv,
    ...adminEnv,
    ...handlersEnv,
    ...forwardingEnv,
    ...redisEnv,
  })
  .superRefine(...accountsEnvCheck)
  .superRefine(...adminEnvCheck)
  .superRefine(...forwardingEnvCheck)
  .superRefine(...redisEnvCheck)
  .refine((env) => env.REDIS_WAIT_REPLICAS === 0 || env.REDIS_WAIT_TIMEOUT_MS < env.QUEUE_TIMEOUT_MS, {
    path: ['REDIS_WAIT_TIMEOUT_MS'],
    message: 'must be less than QUEUE_TIMEOUT_MS: the wait for replicas is part of storing an event within that time',
  })
  .refine((env) => env.FAILED_JOB_RETENTION_SECONDS >= env.DEDUPE_WINDOW_SECONDS, {
    path: ['FAILED_JOB_RETENTION_SECONDS'],
    message: 'must be at least DEDUPE_WINDOW_SECONDS, or a redelivery of a failed event would be queued again',
  })
  .refine((env) => env.LOGTO_MAX_AGE_SECONDS <= env.DEDUPE_WINDOW_SECONDS, {
    path: ['LOGTO_MAX_AGE_SECONDS'],
    message: 'must not exceed DEDUPE_WINDOW_SECONDS: an older event could be a replay of one whose job id is forgotten',
  })
  .refine((env) => env.JWKS_TIMEOUT_MS + env.QUEUE_TIMEOUT_MS <= 2500, {
    path: ['QUEUE_TIMEOUT_MS'],
    message: 'JWKS_TIMEOUT_MS + QUEUE_TIMEOUT_MS must stay within 2500 ms, or a request can outlast Kakao\'s 3 s deadline',
  })
  .refine((env) => env.KAKAO_APP_ID.length === 0 || env.KAKAO_ADMIN_KEYS.length > 0, {
    path: ['KAKAO_APP_ID'],
    message: 'is set but KAKAO_ADMIN_KEYS is not: the unlink, talk channel and talk share endpoints exist only with KAKAO_ADMIN_KEYS',
  });

type Env = z.output<typeof EnvSchema>;

/** Every variable the service reads, each module's included: `.env.example` lists them all (a test checks). */
export const ENV_VARIABLES: readonly string[] = Object.freeze(Object.keys(EnvSchema.shape));

export type StoreConfig =
  | { kind: 'redis'; redis: RedisConfig }
  | { kind: 'postgres'; url: string }
  | { kind: 'embedded'; dataDir: string };

function storeOf(env: Env): StoreConfig {
  const redis = redisConfigOf(env);
  if (redis) return { kind: 'redis', redis };
  if (env.DATABASE_URL) return { kind: 'postgres', url: env.DATABASE_URL };
  return { kind: 'embedded', dataDir: env.DATA_DIR };
}

/**
 * How far ahead of our clock a signed event time (a SET's `iat`, Logto's `createdAt`) may be; more
 * is not clock skew. Such an event stays acceptable until its time is as old as the replay bound
 * (DEDUPE_WINDOW_SECONDS, LOGTO_MAX_AGE_SECONDS), up to this much longer after it arrived than the
 * window, so its dedupe key is kept that much longer too (src/queue/event-queue.ts).
 */
export const MAX_CLOCK_SKEW_SECONDS = 60;

function toConfig(env: Env) {
  return {
    http: { port: env.PORT, host: env.HOST, bodyLimit: env.WEBHOOK_BODY_LIMIT, requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS, maxConnections: env.HTTP_MAX_CONNECTIONS },
    metrics: { port: env.METRICS_PORT, host: env.METRICS_HOST, cacheMs: env.METRICS_CACHE_MS },
    logLevel: env.LOG_LEVEL,
    store: storeOf(env),
    queue: {
      name: env.QUEUE_NAME,
      dedupeWindowSeconds: env.DEDUPE_WINDOW_SECONDS,
      clockSkewSeconds: MAX_CLOCK_SKEW_SECONDS,
      failedRetentionSeconds: env.FAILED_JOB_RETENTION_SECONDS,
      attempts: env.JOB_ATTEMPTS,
      backoffMs: env.JOB_BACKOFF_MS,
      concurrency: env.WORKER_CONCURRENCY,
      lockDurationMs: env.WORKER_LOCK_DURATION_MS,
      timeoutMs: env.QUEUE_TIMEOUT_MS,
      retryAfterSeconds: env.RETRY_AFTER_SECONDS,
    },
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    /** Present only when KAKAO_AUDIENCE is set: the account status endpoint exists only then. */
    kakaoAccountStatus:
      env.KAKAO_AUDIENCE.length > 0
        ? {
            issuer: env.KAKAO_ISSUER,
            audiences: env.KAKAO_AUDIENCE,
            algorithms: env.KAKAO_ALGORITHMS,
            /** Tokens older than the dedupe window are refused: a replay could not be told from a redelivery. */
            maxAgeSeconds: env.DEDUPE_WINDOW_SECONDS,
            maxFutureSkewSeconds: MAX_CLOCK_SKEW_SECONDS,
            jwks: {
              uri: env.KAKAO_JWKS_URI,
              timeoutMs: env.JWKS_TIMEOUT_MS,
              cooldownMs: env.JWKS_COOLDOWN_MS,
              cacheMaxAgeMs: env.JWKS_CACHE_MAX_AGE_MS,
            },
          }
        : undefined,
    /** Present only when KAKAO_ADMIN_KEYS is set: the unlink, talk channel and talk share endpoints exist only then. */
    kakaoAdmin:
      env.KAKAO_ADMIN_KEYS.length > 0
        ? {
            adminKeys: env.KAKAO_ADMIN_KEYS,
            /** Empty: any app id is accepted (a warning is logged at start-up). */
            appIds: env.KAKAO_APP_ID,
            unlinkDedupeSeconds: env.KAKAO_UNLINK_DEDUPE_SECONDS,
          }
        : undefined,
    /** Present only when LOGTO_SIGNING_KEYS is set: the Logto endpoint exists only then. */
    logto:
      env.LOGTO_SIGNING_KEYS
        ? {
            signingKeys: env.LOGTO_SIGNING_KEYS,
            maxAgeSeconds: env.LOGTO_MAX_AGE_SECONDS,
            maxFutureSeconds: MAX_CLOCK_SKEW_SECONDS,
            bodyLimit: env.LOGTO_BODY_LIMIT,
          }
        : undefined,
    accounts: accountsConfigOf(env),
    /** Handler modules named by HANDLERS_MODULE, loaded by the processes that run handlers. */
    handlers: handlersConfigOf(env),
    /** Present only when ADMIN_USER and ADMIN_PASSWORD are set: the queue dashboard exists only then. */
    admin: adminConfigOf(env),
    /** Present only when FORWARD_URL or FORWARD_TARGETS is set: events are forwarded only then. */
    forwarding: forwardingConfigOf(env),
  };
}

export type Config = Readonly<ReturnType<typeof toConfig>>;
export type KakaoAccountStatusConfig = NonNullable<Config['kakaoAccountStatus']>;
export type KakaoAdminConfig = NonNullable<Config['kakaoAdmin']>;
export type LogtoConfig = NonNullable<Config['logto']>;

export class ConfigError extends Error {
  readonly code = 'ERR_CONFIG_INVALID';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws ConfigError listing every problem at once, each with its variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // Empty strings mean "unset", as they do in docker-compose files and shells.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = EnvSchema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => `${String(issue.path[0] ?? '(environment)')}: ${issue.message}`),
    );
  }
  return Object.freeze(toConfig(result.data));
}
