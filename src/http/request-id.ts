import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** What a caller's X-Request-Id may look like to be kept: short, and nothing that could forge a log line. */
const WELL_FORMED = /^[A-Za-z0-9._:@-]{1,128}$/;

/**
 * The request id every log line of a request carries (`reqId`): the caller's `X-Request-Id` when
 * it is well-formed, so one id follows a request through the load balancer and this service;
 * otherwise a new UUID.
 */
export function requestIdOf(request: IncomingMessage): string {
  const header = request.headers['x-request-id'];
  return typeof header === 'string' && WELL_FORMED.test(header) ? header : randomUUID();
}

/**
 * How a request appears in the log: method and path only. Query strings are left out: the Kakao
 * unlink and share webhooks may carry their parameters there, and share callbacks carry whatever
 * the sharing client put in them.
 */
export function serializeRequest(request: { method: string; url: string; id?: string; ip?: string }) {
  const path = request.url.split('?', 1)[0];
  return { method: request.method, url: path, ...(request.ip ? { remoteAddress: request.ip } : {}) };
}
