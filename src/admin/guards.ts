import type { FastifyReply, FastifyRequest } from 'fastify';
import { rejected } from '../errors.js';
import { sendError } from '../error-response.js';

/**
 * An onRequest hook that forbids framing the dashboard on another site, which could otherwise
 * trick a signed-in operator into clicking its buttons. Set before anything answers, so the 401,
 * 429 and 403 answers carry them too. X-Frame-Options for browsers without CSP level 2.
 */
export async function forbidFraming(_request: FastifyRequest, reply: FastifyReply) {
  reply.header('content-security-policy', "frame-ancestors 'none'");
  reply.header('x-frame-options', 'DENY');
}

/** Every Bull Board route that only reads is a GET; the rest (PUT, POST, PATCH) change the queues. */
const READING = new Set(['GET', 'HEAD']);

/**
 * An onRequest hook, after authentication, that refuses every change with 403 while
 * ADMIN_ACTIONS is off. Bull Board's read-only mode hides the buttons and each of its handlers
 * checks it by itself; refusing by method as well means a route Bull Board adds in a later
 * version, or one that forgets the check, still changes nothing.
 */
export async function readOnly(request: FastifyRequest, reply: FastifyReply) {
  if (READING.has(request.method)) return;
  return sendError(request, reply, rejected('ERR_ADMIN_READ_ONLY', 'the queue dashboard is read-only (ADMIN_ACTIONS is off)', undefined, 403));
}
