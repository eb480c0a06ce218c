import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import '../request-outcome.js';

/**
 * Fastify writes two lines per request at info: one when it arrives and one when it is answered.
 * The arrival line moves to debug, and a route's outcome (logOutcome) joins the completion line,
 * so at info a request costs one line: its status, time and what the route did. Every other
 * line Fastify writes (errors, 404s) is unchanged.
 */
export class OneLinePerRequest extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const outcome = request.outcome;
    if (!outcome) return super.requestCompleted(error, request, reply);
    // The route's own object takes the answer's fields: no copy on the hot path.
    const fields = outcome.fields;
    fields.res = reply;
    fields.responseTime = reply.elapsedTime;
    if (error) {
      // The event was stored but the answer did not reach the sender: it will redeliver, and the
      // event id deduplicates. The ids are still worth having next to the error.
      fields.err = error;
      reply.log.error(fields, `${outcome.message}; the answer failed`);
    } else {
      reply.log.info(fields, outcome.message);
    }
  }
}
