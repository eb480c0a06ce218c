import type { FastifyRequest } from 'fastify';

/**
 * What a route did with a request (e.g. `SET accepted` and the event ids), written on the line
 * that records the answer instead of on a line of its own.
 */
export interface RequestOutcome {
  message: string;
  fields: Record<string, unknown>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set through logOutcome(); null until a route sets it. */
    outcome: RequestOutcome | null;
  }
}

/**
 * Records what the route did, to be logged with the request's completion line: at info a request
 * costs one line however much it did, and that line carries status and time as well as the ids.
 */
export function logOutcome(request: FastifyRequest, message: string, fields: Record<string, unknown>): void {
  request.outcome = { message, fields };
}
