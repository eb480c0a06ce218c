import type { FastifyInstance } from 'fastify';
import type { LogtoConfig } from '../../config/config.js';
import { sendError } from '../../error-response.js';
import { logOutcome } from '../../request-outcome.js';
import type { Metrics } from '../../metrics.js';
import type { EventQueue } from '../../queue/event-queue.js';
import { checkEventAge } from './check-event-age.js';
import { parseLogtoPayload } from './parse-payload.js';
import { payloadToEvent } from './payload-to-event.js';
import { isLogtoTestPayload } from './user-of.js';
import { LOGTO_SIGNATURE_HEADER, signatureBytes, verifyLogtoSignature } from './verify-signature.js';

export const LOGTO_WEBHOOK_PATH = '/webhooks/logto';

export interface LogtoRouteOptions {
  config: LogtoConfig;
  queue: EventQueue;
  metrics: Metrics;
}

/**
 * Logto's webhooks (https://docs.logto.io/developers/webhooks). Verify the HMAC over the bytes as received,
 * then parse, bound the event's age, store it in the queue, and answer 200 with an empty body
 * (Logto counts any 2xx; its docs ask for 200). Logto rarely or never redelivers, so an answer
 * other than 2xx loses the event unless it is a 5xx and Logto is new enough to retry those.
 */
export async function logtoRoute(app: FastifyInstance, options: LogtoRouteOptions) {
  const { config, queue, metrics } = options;
  if (config.maxAgeSeconds === 0) {
    app.log.warn('LOGTO_MAX_AGE_SECONDS is 0: a captured delivery replayed after the dedupe window would be accepted again');
  }

  // The body stays a Buffer: re-serialized JSON would not match the signature.
  // Scoped to this plugin, so no other route sees raw bodies; other media types get 415.
  // `+json` types too: a custom header on the hook can replace Logto's content-type (2.3).
  app.removeAllContentTypeParsers();
  for (const type of ['application/json', /^application\/[\w.-]+\+json\s*(?:;|$)/i]) {
    app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: config.bodyLimit }, (_request, body, done) => done(null, body));
  }
  app.setErrorHandler((error, request, reply) => sendError(request, reply, error));

  // A request without a well-formed signature is refused before its body (up to the Logto body
  // limit) is read or hashed.
  app.addHook('onRequest', async (request) => {
    signatureBytes(request.headers[LOGTO_SIGNATURE_HEADER]);
  });

  app.post(LOGTO_WEBHOOK_PATH, { bodyLimit: config.bodyLimit }, async (request, reply) => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const keyIndex = metrics.timeVerification('logto', () => verifyLogtoSignature(body, request.headers[LOGTO_SIGNATURE_HEADER], config.signingKeys));

    const { name, payload } = parseLogtoPayload(body);
    const receivedAt = new Date();
    checkEventAge(payload.createdAt, config, receivedAt);
    const event = payloadToEvent(name, payload, body, receivedAt);
    if (name === 'logto.unknown') {
      metrics.unknownTypes.inc({ provider: 'logto' });
      request.log.warn({ eventType: payload.event, hookId: payload.hookId }, 'unknown Logto event type; accepted for catch-all handlers');
    }

    await queue.enqueue([event]);
    metrics.accepted.inc({ provider: 'logto', type: event.type });
    // keyIndex shows when the previous key stops being used, so a rotation can be finished.
    logOutcome(request, 'Logto event accepted', { eventId: event.id, type: event.type, hookId: payload.hookId, keyIndex, test: isLogtoTestPayload(payload) || undefined });
    return reply.code(200).send();
  });
}
