import type { FastifyInstance } from 'fastify';
import type { KakaoAccountStatusConfig } from '../../config/config.js';
import { rejected } from '../../errors.js';
import { sendError } from '../../error-response.js';
import { logOutcome } from '../../request-outcome.js';
import type { Metrics } from '../../metrics.js';
import type { EventQueue } from '../../queue/event-queue.js';
import type { KeyResolver } from './jwks.js';
import { setToEvents } from './set-to-events.js';
import { verifySet } from './verify-set.js';

export const KAKAO_ACCOUNT_STATUS_PATH = '/webhooks/kakao/account-status';

export interface KakaoAccountStatusRouteOptions {
  config: KakaoAccountStatusConfig;
  bodyLimit: number;
  keys: KeyResolver;
  queue: EventQueue;
  metrics: Metrics;
}

/**
 * Kakao's account status change webhook: push delivery of Security Event Tokens (RFC 8935).
 * Verify, store in the queue, then 202 with an empty body; nothing else runs in the request.
 * The parser and the RFC 8935 error format are scoped to this plugin.
 */
export async function kakaoAccountStatusRoute(app: FastifyInstance, options: KakaoAccountStatusRouteOptions) {
  const { config, keys, queue, metrics } = options;

  // Only SET media types are parsed here; anything else gets 415 before any work is done.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ['application/secevent+jwt', 'application/jwt'],
    { parseAs: 'string', bodyLimit: options.bodyLimit },
    (_request, body, done) => done(null, body),
  );
  app.setErrorHandler((error, request, reply) => sendError(request, reply, error, 'rfc8935'));

  app.post(KAKAO_ACCOUNT_STATUS_PATH, async (request, reply) => {
    if (typeof request.body !== 'string' || request.body.length === 0) {
      throw rejected('ERR_SET_INVALID', 'the body must be a SET (Content-Type: application/secevent+jwt)');
    }
    const token = request.body;
    const { claims, header } = await metrics.timeVerification('kakao', () =>
      verifySet(token, {
        getKey: keys.getKey,
        issuer: config.issuer,
        audiences: config.audiences,
        algorithms: config.algorithms,
        maxAgeSeconds: config.maxAgeSeconds,
        maxFutureSkewSeconds: config.maxFutureSkewSeconds,
        onMissingTyp: () => request.log.warn('SET has no typ header; accepted (Kakao\'s habit is unconfirmed)'),
      }),
    );
    const events = setToEvents(claims, new Date());
    for (const event of events) {
      if (event.type === 'kakao.unknown') {
        metrics.unknownTypes.inc({ provider: 'kakao' });
        request.log.warn({ eventType: event.sourceType, jti: claims.jti }, 'unknown SET event type; accepted for catch-all handlers');
      }
    }
    await queue.enqueue(events);
    for (const event of events) metrics.accepted.inc({ provider: 'kakao', type: event.type });
    logOutcome(request, 'SET accepted', { jti: claims.jti, kid: header.kid, events: events.map((event) => ({ id: event.id, type: event.type })) });
    return reply.code(202).send();
  });
}
