/**
 * One error type for everything the receiver refuses or cannot do. `code` is stable (tests,
 * logs and dashboards key on it), `statusCode` is the HTTP answer, `cause` keeps the original.
 * The HTTP layer maps these to responses in one place: src/error-response.ts.
 */
export type ErrorCode =
  // The request is wrong: the sender must fix something. Nothing is enqueued.
  | 'ERR_SET_INVALID' // malformed token, missing claim, wrong typ or alg (RFC 8935 invalid_request)
  | 'ERR_SET_KEY' // bad signature or a kid the issuer's JWKS does not hold (invalid_key)
  | 'ERR_SET_ISSUER' // iss is not the configured issuer (invalid_issuer)
  | 'ERR_SET_AUDIENCE' // aud names nobody we accept (invalid_audience)
  | 'ERR_ADMIN_KEY_INVALID' // Kakao admin webhooks: missing or wrong `Authorization: KakaoAK <key>` (401)
  | 'ERR_APP_ID_INVALID' // Kakao unlink webhook: app_id missing or not one of ours (401)
  | 'ERR_PAYLOAD_INVALID' // authenticated, but the parameters are malformed or missing (400)
  | 'ERR_SIGNATURE_MISSING' // no HMAC signature header (Logto)
  | 'ERR_SIGNATURE_INVALID' // a signature no configured key produced (Logto)
  | 'ERR_EVENT_TOO_OLD' // the signed event time is outside the replay window
  | 'ERR_EVENT_IN_FUTURE' // the signed event time is further ahead than clock skew explains
  | 'ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'ERR_BODY_TOO_LARGE'
  | 'ERR_BAD_REQUEST'
  | 'ERR_UNAUTHORIZED' // account API: missing or unknown bearer token (401)
  | 'ERR_ACCOUNT_NOT_FOUND' // account API: no event has named this user (404)
  | 'ERR_ADMIN_UNAUTHORIZED' // queue dashboard: missing or wrong HTTP Basic credentials (401)
  | 'ERR_ADMIN_THROTTLED' // queue dashboard: too many failed logins from this address (429, Retry-After)
  | 'ERR_ADMIN_READ_ONLY' // queue dashboard: a change while ADMIN_ACTIONS is off (403)
  | 'ERR_TOO_MANY_STREAMS' // change feed: the token or the process holds its most streams (429, Retry-After)
  // Our side failed: the sender should retry later.
  | 'ERR_JWKS_UNAVAILABLE'
  // A SET names a kid the cached JWKS lacks while its refetch cools down: Kakao after a rotation
  // (it retries, and then the refetch finds the key) or anyone with a made-up kid. Answered 503
  // like the rest of this group, but counted apart and not as a failure of the endpoint.
  | 'ERR_JWKS_UNKNOWN_KID'
  // More requests in flight on one connection than MAX_IN_FLIGHT_PER_SOCKET (pipelined, answers
  // unread): the connection is closed. Also not counted as a failure of the endpoint.
  | 'ERR_TOO_MANY_IN_FLIGHT'
  | 'ERR_QUEUE_UNAVAILABLE'
  | 'ERR_STORE_UNAVAILABLE' // account API: the account state could not be read
  | 'ERR_SHUTTING_DOWN'
  | 'ERR_INTERNAL';

export interface ReceiverErrorOptions {
  cause?: unknown;
  /** Seconds, sent as Retry-After with 503s and 429s. */
  retryAfter?: number;
}

export class ReceiverError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, statusCode: number, message: string, options: ReceiverErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'ReceiverError';
    this.code = code;
    this.statusCode = statusCode;
    this.retryAfter = options.retryAfter;
  }
}

/** The sender sent something we refuse (4xx). */
export const rejected = (code: ErrorCode, message: string, cause?: unknown, statusCode = 400) =>
  new ReceiverError(code, statusCode, message, { cause });

/** A dependency of ours is down (503): the sender must retry, and nothing was acknowledged. */
export const unavailable = (code: ErrorCode, message: string, retryAfter: number, cause?: unknown) =>
  new ReceiverError(code, 503, message, { cause, retryAfter });

/**
 * The code every PermanentError carries. The worker recognises a permanent failure by this code
 * as well as by class, so a second copy of this package (or a handler module that cannot import
 * it) can still end retries: `throw Object.assign(new Error('...'), { code: 'ERR_HANDLER_PERMANENT' })`.
 */
export const PERMANENT_ERROR_CODE = 'ERR_HANDLER_PERMANENT';

/**
 * Thrown by a handler when retrying cannot help (the input can never be processed). The worker
 * moves the job straight to failed instead of retrying it.
 */
export class PermanentError extends Error {
  readonly code: typeof PERMANENT_ERROR_CODE = PERMANENT_ERROR_CODE;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/** The process cannot start as configured; main.ts prints the message and exits 1. */
export class StartupError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StartupError';
  }
}
