import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { rejected, unavailable } from '../../errors.js';
import type { Provider } from '../../events/envelope.js';
import { storableText } from '../../events/storable.js';
import { isDataException } from '../../queue/backend.js';
import type { AccountsConfig } from '../config.js';
import { toAccountState } from '../merge.js';
import { MAX_USER_ID_LENGTH, PROVIDERS, type StoredAccount } from '../model.js';
import { checkSessionFacts, parseIssuedAt, type SessionCheck } from '../session-check.js';
import type { AccountStateStore } from '../store.js';
import { bearerAuth } from './bearer-auth.js';
import { changeStreamRoute } from './change-stream.js';

export interface AccountRoutesOptions {
  store: AccountStateStore;
  tokens: readonly string[];
  retryAfterSeconds: number;
  changeFeed: AccountsConfig['changeFeed'];
  /** Where the change feed registers its metrics. */
  registry: Registry;
}

export const ACCOUNT_ENDPOINTS = [
  'GET /v1/accounts/:provider/:userId',
  'GET /v1/accounts/:provider/:userId/sessions/check',
  'POST /v1/sessions/check',
  'GET /v1/accounts/changes',
];

/** Up to this many sessions per batch check. */
export const MAX_BATCH = 100;

const provider = z.enum(PROVIDERS as [Provider, ...Provider[]], { error: `provider must be one of ${PROVIDERS.join(', ')}` });
// As in events, a NUL or a lone surrogate is U+FFFD (events/storable.ts): the id names the same account.
const userId = z.string().min(1).max(MAX_USER_ID_LENGTH, `userId is at most ${MAX_USER_ID_LENGTH} characters`).transform(storableText);
const accountParams = z.object({ provider, userId });
const issuedAt = z.union([z.string(), z.number()], { error: 'issuedAt must be an ISO 8601 date-time or epoch milliseconds' });
const batchBody = z.object({
  sessions: z.array(z.object({ provider, userId, issuedAt }), { error: 'sessions must be an array' }).max(MAX_BATCH, `at most ${MAX_BATCH} sessions per request`),
});

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
    throw rejected('ERR_BAD_REQUEST', problems.join('; '));
  }
  return result.data;
}

function issuedAtMs(value: unknown, where: string): number {
  const ms = parseIssuedAt(value);
  if (Number.isNaN(ms)) throw rejected('ERR_BAD_REQUEST', `${where} must be an ISO 8601 date-time with a time zone, or epoch milliseconds`);
  return ms;
}

const factsOf = (stored: StoredAccount | null) =>
  stored ? { status: stored.status?.value ?? ('active' as const), sessionsRevokedAt: stored.sessionsRevokedAt } : null;

/**
 * The account API for applications, behind `Authorization: Bearer` (ACCOUNT_API_TOKENS). A read
 * the store cannot answer is a 503 with Retry-After, never a made-up "allowed".
 */
export async function accountRoutes(app: FastifyInstance, options: AccountRoutesOptions) {
  const { store } = options;
  app.addHook('onRequest', bearerAuth(options.tokens));

  const read = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      // A value the store refuses (PostgreSQL's data exceptions) is the request's fault, not an outage.
      if (isDataException(error)) throw rejected('ERR_BAD_REQUEST', 'the store cannot look up this value', error);
      throw unavailable('ERR_STORE_UNAVAILABLE', 'the account state could not be read', options.retryAfterSeconds, error);
    }
  };

  app.get('/v1/accounts/:provider/:userId', async (request) => {
    const { provider, userId } = parse(accountParams, request.params);
    const stored = await read(() => store.get(provider, userId));
    if (!stored) throw rejected('ERR_ACCOUNT_NOT_FOUND', 'no event has named this user', undefined, 404);
    return toAccountState(provider, userId, stored);
  });

  app.get('/v1/accounts/:provider/:userId/sessions/check', async (request): Promise<SessionCheck> => {
    const { provider, userId } = parse(accountParams, request.params);
    const at = issuedAtMs((request.query as Record<string, unknown>).issuedAt, 'the issuedAt query parameter');
    const stored = await read(() => store.get(provider, userId));
    return checkSessionFacts(factsOf(stored), at);
  });

  app.post('/v1/sessions/check', async (request): Promise<{ results: SessionCheck[] }> => {
    const { sessions } = parse(batchBody, request.body);
    const times = sessions.map((session, index) => issuedAtMs(session.issuedAt, `sessions.${index}.issuedAt`));
    const stored = await read(() => store.getMany(sessions));
    return { results: stored.map((account, index) => checkSessionFacts(factsOf(account), times[index]!)) };
  });

  await app.register(changeStreamRoute, { store, retryAfterSeconds: options.retryAfterSeconds, limits: options.changeFeed, registry: options.registry });
}
