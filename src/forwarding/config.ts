import { z } from 'zod';
import { booleanFlag, list, positiveInt } from '../config/env-helpers.js';
import { compileEventFilter, EVENT_FILTER_HINT } from './event-filter.js';

/**
 * The forwarding module's part of the environment schema (composed in src/config/config.ts).
 * Either one target from FORWARD_URL / FORWARD_SECRET / FORWARD_EVENTS, or several from
 * FORWARD_TARGETS (JSON); unset: nothing is forwarded.
 */

/** A target's name: part of its queue's name, its metrics label and the CLI's --target. */
const TARGET_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;
const DEFAULT_TARGET_NAME = 'default';

/**
 * Standard Webhooks symmetric secrets: `whsec_` and the base64 of 24 to 64 random bytes
 * (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md).
 * Messages never echo the value.
 */
const secretSchema = z.string().superRefine((value, ctx) => {
  const base64 = value.startsWith('whsec_') ? value.slice('whsec_'.length) : undefined;
  if (base64 === undefined) return void ctx.addIssue({ code: 'custom', message: 'each secret must start with whsec_ (a Standard Webhooks secret)' });
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(base64)) {
    return void ctx.addIssue({ code: 'custom', message: 'each secret must be whsec_ followed by standard base64' });
  }
  const bytes = Buffer.from(base64, 'base64').length;
  if (bytes < 24 || bytes > 64) ctx.addIssue({ code: 'custom', message: `each secret must encode 24 to 64 bytes (one encodes ${bytes}); generate one with: node -e "console.log('whsec_' + require('crypto').randomBytes(32).toString('base64'))"` });
});

/** One or more secrets: every one signs each delivery (rotation), the first listed being the newest by convention. */
const secretsSchema = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (typeof value === 'string' ? value.split(/[\s,]+/).filter(Boolean) : value))
  .pipe(z.array(secretSchema).min(1, 'needs at least one whsec_ secret').max(5, 'at most 5 secrets (each one signs every delivery)'));

const eventsSchema = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (typeof value === 'string' ? list(value) : value))
  .pipe(z.array(z.string().min(1)).min(1, `names no event (${EVENT_FILTER_HINT})`))
  .superRefine((patterns, ctx) => {
    for (const problem of compileEventFilter(patterns).problems) ctx.addIssue({ code: 'custom', message: problem });
  });

/**
 * A target's URL. No user:password@ part: fetch refuses such URLs (every delivery would fail), and
 * the password would reach logs; an application that wants more than the signature can check a
 * path or query token. The message never echoes the URL.
 */
const targetUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .refine((url) => !URL.canParse(url) || (new URL(url).username === '' && new URL(url).password === ''), {
    message: 'must not hold a user name or password (user:password@host): deliveries are signed; put a token in the path or query if the application wants one',
  });

const timeoutSchema = z.number().int().min(100, 'must be at least 100 (ms)').max(120_000, 'must be at most 120000 (ms)');

const targetSchema = z.strictObject({
  name: z.string().regex(TARGET_NAME, 'lower-case letters, digits, - and _, at most 40, starting with a letter or digit'),
  url: targetUrl,
  secret: secretsSchema,
  events: eventsSchema.optional(),
  timeoutMs: timeoutSchema.optional(),
});

/** FORWARD_TARGETS: a JSON array of targets; a parse error never quotes the text (it holds secrets). */
const targetsJson = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not valid JSON; expected [{"name":"app","url":"https://...","secret":"whsec_...","events":"kakao.*"}]' });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .array(targetSchema, { error: 'must be a JSON array of targets: [{"name","url","secret","events"?,"timeoutMs"?}]' })
      .min(1, 'holds no target')
      .max(20, 'at most 20 targets')
      .superRefine((targets, ctx) => {
        const seen = new Set<string>();
        for (const target of targets) {
          if (seen.has(target.name)) ctx.addIssue({ code: 'custom', message: `two targets are named ${target.name}; names must be unique` });
          seen.add(target.name);
        }
      }),
  );

export const forwardingEnv = {
  /** One target: where every event (or those FORWARD_EVENTS names) is POSTed as a Standard Webhook. */
  FORWARD_URL: targetUrl.optional(),
  /** whsec_ secret(s) of FORWARD_URL, comma-separated to rotate: each signs every delivery. */
  FORWARD_SECRET: secretsSchema.optional(),
  /** Which events FORWARD_URL gets: comma-separated names, `*` matching any run of characters. Unset: all. */
  FORWARD_EVENTS: eventsSchema.optional(),
  /** Several targets as JSON, each with its own name, URL, secret(s), events and timeout. */
  FORWARD_TARGETS: targetsJson.optional(),
  /** Plain http:// targets are refused unless this is true (the payload holds personal data). */
  FORWARD_ALLOW_HTTP: booleanFlag.default(false),
  /** Longest one delivery attempt may take, connecting and reading the answer included. */
  FORWARD_TIMEOUT_MS: z.coerce.number().pipe(timeoutSchema).default(10_000),
  /** Attempts per delivery before it lands in the failed set; defaults span about 10 hours. */
  FORWARD_ATTEMPTS: positiveInt.max(100).default(20),
  /** First retry delay; each later one doubles (with jitter) up to FORWARD_MAX_BACKOFF_MS. */
  FORWARD_BACKOFF_MS: positiveInt.default(5000),
  FORWARD_MAX_BACKOFF_MS: positiveInt.default(3_600_000),
  /** Deliveries in flight per target, per worker process. */
  FORWARD_CONCURRENCY: positiveInt.max(100).default(4),
};

/** What the cross-variable check sees: it also runs when a variable failed, so any may be missing. */
type ForwardingEnv = { [K in keyof typeof forwardingEnv]?: z.output<(typeof forwardingEnv)[K]> };
/** What a successful parse gives: every default applied, optional variables possibly absent. */
type ParsedForwardingEnv = z.output<ReturnType<typeof z.object<typeof forwardingEnv>>>;

/** Cross-variable rules; passed to `.superRefine(...)` of the whole schema, like the admin module's. */
export const forwardingEnvCheck = [
  (env: ForwardingEnv, ctx: z.RefinementCtx) => {
    if (env.FORWARD_TARGETS && (env.FORWARD_URL || env.FORWARD_SECRET || env.FORWARD_EVENTS)) {
      ctx.addIssue({ code: 'custom', path: ['FORWARD_TARGETS'], message: 'set FORWARD_TARGETS or FORWARD_URL (with FORWARD_SECRET, FORWARD_EVENTS), not both' });
    }
    if (env.FORWARD_URL && !env.FORWARD_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['FORWARD_SECRET'], message: 'is required when FORWARD_URL is set: every delivery is signed' });
    }
    if (!env.FORWARD_URL && !env.FORWARD_TARGETS) {
      for (const name of ['FORWARD_SECRET', 'FORWARD_EVENTS'] as const) {
        if (env[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'is set but FORWARD_URL is not' });
      }
    }
    if (env.FORWARD_ALLOW_HTTP !== true) {
      // This check runs even when a variable failed its own schema: it then sees the raw text,
      // so it looks only at values that parsed (their own problem is reported already).
      const targets = Array.isArray(env.FORWARD_TARGETS) ? env.FORWARD_TARGETS : [];
      const urls = [
        ...targets.map((target) => ({ path: 'FORWARD_TARGETS', where: `target ${String(target?.name)}: `, url: target?.url })),
        ...(typeof env.FORWARD_URL === 'string' ? [{ path: 'FORWARD_URL', where: '', url: env.FORWARD_URL }] : []),
      ];
      for (const { path, where, url } of urls) {
        if (typeof url === 'string' && URL.canParse(url) && new URL(url).protocol === 'http:') {
          ctx.addIssue({ code: 'custom', path: [path], message: `${where}only https:// targets are allowed; set FORWARD_ALLOW_HTTP=true for http://` });
        }
      }
    }
  },
  { when: (payload: { value: unknown }) => typeof payload.value === 'object' && payload.value !== null },
] as const;

export interface ForwardTarget {
  name: string;
  url: string;
  /** whsec_ secrets; each signs every delivery. */
  secrets: readonly string[];
  /** Event-name patterns; undefined: every event. */
  events: readonly string[] | undefined;
  timeoutMs: number;
}

export interface ForwardingConfig {
  targets: readonly ForwardTarget[];
  attempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  concurrency: number;
}

/** Present only when a target is configured: the forward handler and its workers exist only then. */
export function forwardingConfigOf(env: ParsedForwardingEnv): ForwardingConfig | undefined {
  const timeoutMs = env.FORWARD_TIMEOUT_MS;
  const targets: ForwardTarget[] = env.FORWARD_TARGETS
    ? env.FORWARD_TARGETS.map((target) => ({ name: target.name, url: target.url, secrets: target.secret, events: target.events, timeoutMs: target.timeoutMs ?? timeoutMs }))
    : env.FORWARD_URL && env.FORWARD_SECRET
      ? [{ name: DEFAULT_TARGET_NAME, url: env.FORWARD_URL, secrets: env.FORWARD_SECRET, events: env.FORWARD_EVENTS, timeoutMs }]
      : [];
  if (targets.length === 0) return undefined;
  return {
    targets,
    attempts: env.FORWARD_ATTEMPTS,
    backoffMs: env.FORWARD_BACKOFF_MS,
    maxBackoffMs: env.FORWARD_MAX_BACKOFF_MS,
    concurrency: env.FORWARD_CONCURRENCY,
  };
}
