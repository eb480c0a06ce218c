import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { rejected } from '../../errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * An onRequest hook that admits `Authorization: Bearer <token>` for any configured token. Both
 * sides are hashed to equal length and every token is compared, so the time taken tells nothing
 * about which token, or how much of one, matched.
 */
export function bearerAuth(tokens: readonly string[]) {
  const expected = tokens.map(digest);
  return async (request: FastifyRequest) => {
    const match = /^Bearer ([\x21-\x7e]+)$/i.exec(request.headers.authorization ?? '');
    const presented = digest(match?.[1] ?? '');
    let ok = false;
    for (const token of expected) ok = timingSafeEqual(presented, token) || ok;
    if (!match || !ok) throw rejected('ERR_UNAUTHORIZED', 'a valid `Authorization: Bearer <token>` is required', undefined, 401);
  };
}
