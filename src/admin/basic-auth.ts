import type { FastifyReply, FastifyRequest } from 'fastify';
import { ReceiverError, rejected } from '../errors.js';
import { sendError } from '../error-response.js';
import { createSecretMatcher } from '../secret-match.js';
import type { AdminConfig } from './config.js';
import { createLoginThrottle, type LoginThrottle } from './login-throttle.js';

type Credentials = Pick<AdminConfig, 'user' | 'password'>;


/** The user id and password of `Authorization: Basic <base64(user:password)>` (RFC 7617), or undefined. */
export function parseBasicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * A check that `Authorization` carries exactly the configured credentials. Each side is hashed to
 * equal length and both the user and the password are always compared, so the time taken tells
 * nothing about which part, or how much of it, matched.
 */
export function basicCredentialsCheck(expected: Credentials): (header: string | undefined) => boolean {
  const userMatches = createSecretMatcher([expected.user]);
  const passwordMatches = createSecretMatcher([expected.password]);
  return (header) => {
    const presented = parseBasicCredentials(header);
    const userOk = userMatches(presented?.user);
    const passwordOk = passwordMatches(presented?.password);
    return userOk && passwordOk;
  };
}

/**
 * An onRequest hook that admits only the configured HTTP Basic credentials and answers anything
 * else with 401 and `WWW-Authenticate: Basic realm="admin"`. It answers by itself rather than
 * throwing, so the answer is the same whichever error handler the route's plugin installed
 * (Bull Board installs its own, which would turn the error into its own JSON).
 *
 * Each wrong `Authorization` counts against the client's address (`request.ip`: the socket's
 * peer, as the app trusts no proxy header); past the throttle's limit the address gets 429 with
 * Retry-After, right credentials included, or a guesser would learn a hit from the status. A
 * request without `Authorization` is a browser asking for the challenge, not a guess.
 */
export function basicAuth(expected: Credentials, throttle: LoginThrottle = createLoginThrottle()) {
  const admits = basicCredentialsCheck(expected);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const retryAfter = throttle.retryAfter(request.ip);
    if (retryAfter > 0) {
      return sendError(request, reply, new ReceiverError('ERR_ADMIN_THROTTLED', 429, 'too many failed logins from this address, retry later', { retryAfter }));
    }
    const { authorization } = request.headers;
    if (admits(authorization)) return;
    if (authorization !== undefined) throttle.fail(request.ip);
    return sendError(request, reply, rejected('ERR_ADMIN_UNAUTHORIZED', 'valid HTTP Basic credentials for the admin area are required', undefined, 401));
  };
}
