import type { FastifyRequest } from 'fastify';
import { rejected } from '../../errors.js';
import { createSecretMatcher } from '../../secret-match.js';

/** The token of `Authorization: Bearer <token>`, or undefined. */
export const presentedBearerToken = (request: FastifyRequest): string | undefined =>
  /^Bearer ([\x21-\x7e]+)$/i.exec(request.headers.authorization ?? '')?.[1];

/**
 * An onRequest hook that admits `Authorization: Bearer <token>` for any configured token,
 * compared in constant time (secret-match.ts).
 */
export function bearerAuth(tokens: readonly string[]) {
  const matches = createSecretMatcher(tokens);
  return async (request: FastifyRequest) => {
    if (!matches(presentedBearerToken(request))) throw rejected('ERR_UNAUTHORIZED', 'a valid `Authorization: Bearer <token>` is required', undefined, 401);
  };
}
