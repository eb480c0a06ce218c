import type { FastifyReply, FastifyRequest } from 'fastify';
import { MAX_USER_ID_LENGTH } from '../accounts/model.js';
import { rejected } from '../errors.js';
import { sendError } from '../error-response.js';

/**
 * The router's own refusals, answered like every other error (src/error-response.ts). Fastify's
 * default answers quote the request path back (`'/v1/accounts/kakao/…' is exceeding the max
 * param length`, 414): a caller's input, reflected, and a status that disagreed with the account
 * API's own limit. These answers name the rule instead.
 */
export function sendFrameworkError(error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply) {
  switch (error.code) {
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return sendError(request, reply, rejected('ERR_BAD_REQUEST', `a path parameter is longer than ${MAX_USER_ID_LENGTH} characters (a userId is at most ${MAX_USER_ID_LENGTH})`));
    case 'FST_ERR_BAD_URL':
      return sendError(request, reply, rejected('ERR_BAD_REQUEST', 'the URL path is not valid percent-encoding'));
    default:
      return sendError(request, reply, error);
  }
}
