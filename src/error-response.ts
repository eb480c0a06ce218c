import type { FastifyReply, FastifyRequest } from 'fastify';
import { ReceiverError, type ErrorCode } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The code of the error the request was answered with; null when it was not. */
    failure: ErrorCode | null;
  }
}

/**
 * The one place where errors become HTTP answers. 4xx answers say what was wrong; 5xx answers say
 * only that we failed (details go to the log), and always carry Retry-After so senders retry; so does 429.
 */
interface Described {
  statusCode: number;
  code: ErrorCode;
  message: string;
  retryAfter?: number;
}

const FASTIFY_CODES: Record<string, { code: ErrorCode; statusCode: number }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'ERR_BODY_TOO_LARGE', statusCode: 413 },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'ERR_UNSUPPORTED_MEDIA_TYPE', statusCode: 415 },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'ERR_BAD_REQUEST', statusCode: 400 },
};

function describeError(error: unknown): Described {
  if (error instanceof ReceiverError) {
    return { statusCode: error.statusCode, code: error.code, message: error.message, retryAfter: error.retryAfter };
  }
  const fastifyError = error as { code?: string; statusCode?: number; message?: string };
  const known = fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (known) return { ...known, message: fastifyError.message ?? known.code };
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { statusCode: status, code: 'ERR_BAD_REQUEST', message: fastifyError.message ?? 'bad request' };
  }
  return { statusCode: 500, code: 'ERR_INTERNAL', message: 'internal error', retryAfter: 5 };
}

/** RFC 8935 2.4 error codes, for the SET endpoint. */
const SET_ERR: Partial<Record<ErrorCode, string>> = {
  ERR_SET_KEY: 'invalid_key',
  ERR_SET_ISSUER: 'invalid_issuer',
  ERR_SET_AUDIENCE: 'invalid_audience',
};

/** RFC 9110 11.6.1: a 401 names the scheme that would be accepted. */
const CHALLENGES: Partial<Record<ErrorCode, string>> = {
  ERR_ADMIN_KEY_INVALID: 'KakaoAK',
  ERR_APP_ID_INVALID: 'KakaoAK',
  ERR_UNAUTHORIZED: 'Bearer',
  ERR_ADMIN_UNAUTHORIZED: 'Basic realm="admin"',
};

export type ErrorBodyFormat = 'default' | 'rfc8935';

/**
 * What a refusal's cause may put in the log: its kind and, for a claim check, the claim's name.
 * Never the cause itself: jose's claim errors carry the whole verified payload (a correctly signed
 * token refused for its `aud` would log the user's email and phone number), and our own message
 * (`reason`) already says what was wrong.
 */
function causeForLog(cause: unknown): { cause?: { type: string; claim?: string } } {
  if (!(cause instanceof Error)) return {};
  const { claim } = cause as { claim?: unknown };
  return { cause: { type: cause.name, ...(typeof claim === 'string' ? { claim } : {}) } };
}

/** What a store or the JWKS said when it failed us: its kind and the first line of its message. */
function dependencyCause(cause: unknown): { cause?: { type: string; message: string } } {
  if (!(cause instanceof Error)) return {};
  return { cause: { type: cause.name, message: cause.message.split('\n', 1)[0]!.slice(0, 200) } };
}

export function sendError(request: FastifyRequest, reply: FastifyReply, error: unknown, format: ErrorBodyFormat = 'default') {
  const described = describeError(error);
  const { statusCode, code, retryAfter } = described;
  const message = statusCode >= 500 ? (statusCode === 503 ? 'temporarily unavailable, retry later' : 'internal error') : described.message;

  request.failure = code;
  if (statusCode === 503 && error instanceof ReceiverError) {
    // An expected state (a store or the JWKS out of reach, shutting down, an unknown kid during
    // the refetch cooldown) that the sender's retry resolves: one line at warn, no stack (ours
    // would only point here), and what the dependency said. Anonymous traffic can cause some of
    // these, so they must neither flood the log with stacks nor read as errors.
    request.log.warn({ code, reason: described.message, ...dependencyCause(error.cause) }, 'request failed on our side; the sender retries');
  } else if (statusCode >= 500) {
    request.log.error({ err: error, code }, 'request failed on our side');
  } else {
    request.log.warn({ code, reason: described.message, ...causeForLog((error as Error)?.cause) }, 'request refused');
  }

  if (retryAfter !== undefined && (statusCode >= 500 || statusCode === 429)) reply.header('retry-after', String(retryAfter));
  const challenge = CHALLENGES[code];
  if (challenge && statusCode === 401) reply.header('www-authenticate', challenge);
  reply.code(statusCode).header('content-language', 'en');
  if (format === 'rfc8935' && statusCode < 500) {
    return reply.send({ err: SET_ERR[code] ?? 'invalid_request', description: message });
  }
  return reply.send({ error: code, message });
}
