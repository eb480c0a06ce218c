import type { FastifyRequest } from 'fastify';
import { rejected } from '../../errors.js';
import { createSecretMatcher } from '../../secret-match.js';

/**
 * An onRequest hook that admits `Authorization: Bearer <token>` for any configured token,
 * compared in constant time (secret-match.ts).
 */
export function bearerAuth(tokens: readonly string[]) {
  const matches = createSecretMatcher(tokens);
  return async (request: FastifyRequest) => {
    const match = /^Bearer ([\x21-\x7e]+)$/i.exec(request.headers.authorization ?? '');
    if (!matches(match?.[1])) throw rejected('ERR_UNAUTHORIZED', 'a valid `Authorization: Bearer <token>` is required', undefined, 401);
  };
}
