import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { KakaoAdminConfig } from '../../config/config.js';
import type { WebhookEvent } from '../../events/envelope.js';
import { rejected } from '../../errors.js';
import { logOutcome } from '../../request-outcome.js';
import type { Metrics } from '../../metrics.js';
import type { DedupeWindow, EventQueue } from '../../queue/event-queue.js';
import { createAdminKeyCheck } from './admin-key.js';
import { readParams } from './admin-params.js';
import { KNOWN_REFERRER_TYPES } from './admin-webhook-events.js';
import { resourceIdOf } from './delivery-id.js';
import { talkChannelToEvent } from './talk-channel-event.js';
import { talkShareToEvent } from './talk-share-event.js';
import { unlinkToEvent } from './unlink-event.js';

export const KAKAO_UNLINK_PATH = '/webhooks/kakao/unlink';
export const KAKAO_TALK_CHANNEL_PATH = '/webhooks/kakao/talk-channel';
export const KAKAO_TALK_SHARE_PATH = '/webhooks/kakao/talk-share';

/** "METHOD path" of each endpoint, for the start-up log. */
export const KAKAO_ADMIN_ENDPOINTS = [
  `GET|POST ${KAKAO_UNLINK_PATH}`,
  `POST ${KAKAO_TALK_CHANNEL_PATH}`,
  `GET|POST ${KAKAO_TALK_SHARE_PATH}`,
];

export interface KakaoAdminRoutesOptions {
  config: KakaoAdminConfig;
  bodyLimit: number;
  queue: EventQueue;
  metrics: Metrics;
}

/**
 * Kakao's three webhooks authenticated by `Authorization: KakaoAK <primary admin key>`: unlink,
 * Kakao Talk Channel, Kakao Talk Share. Check the key, read the parameters, store the event in
 * the queue, then 200 with an empty body (200 is what unlink requires and what satisfies both
 * the old "200 only" and the current "2xx" wording for the other two in Kakao's docs).
 */
export async function kakaoAdminRoutes(app: FastifyInstance, options: KakaoAdminRoutesOptions) {
  const { config, queue, metrics } = options;
  const isAdminKey = createAdminKeyCheck(config.adminKeys);
  if (config.appIds.length === 0) {
    app.log.warn('KAKAO_APP_ID is not set: unlink webhooks for any app id signed with our admin key are accepted');
  }

  // Bodies stay strings here and are parsed only in the handler, after the key check; anything
  // other than form or JSON gets 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ['application/x-www-form-urlencoded', 'application/json'],
    { parseAs: 'string', bodyLimit: options.bodyLimit },
    (_request, body, done) => done(null, body),
  );
  // onRequest runs before the body is read: a wrong key gets 401 whatever the body holds or weighs.
  app.addHook('onRequest', async (request) => {
    if (!isAdminKey(request.headers.authorization)) {
      throw rejected('ERR_ADMIN_KEY_INVALID', 'missing or wrong admin key; expected Authorization: KakaoAK <primary admin key>', undefined, 401);
    }
  });

  const accept = async (request: FastifyRequest, events: WebhookEvent[], dedupe?: DedupeWindow) => {
    await queue.enqueue(events, dedupe);
    for (const event of events) metrics.accepted.inc({ provider: 'kakao', type: event.type });
    logOutcome(request, 'Kakao webhook accepted', { events: events.map((event) => ({ id: event.id, type: event.type })) });
  };

  // HEAD routes are off: Fastify would run the GET handler for HEAD and queue an event.
  app.route({
    method: ['GET', 'POST'],
    url: KAKAO_UNLINK_PATH,
    exposeHeadRoute: false,
    handler: async (request, reply) => {
      const { event, dedupe } = unlinkToEvent(readParams(rawOf(request)), {
        appIds: config.appIds,
        dedupeSeconds: config.unlinkDedupeSeconds,
        receivedAt: new Date(),
      });
      if (!KNOWN_REFERRER_TYPES.has(event.data.referrer_type)) {
        request.log.warn({ referrerType: event.data.referrer_type }, 'unknown unlink referrer_type; accepted');
      }
      await accept(request, [event], dedupe);
      return reply.code(200).send();
    },
  });

  app.post(KAKAO_TALK_CHANNEL_PATH, async (request, reply) => {
    const event = talkChannelToEvent(readParams(rawOf(request)), resourceIdOf(request.headers['x-kakao-resource-id']), new Date());
    if (event.type === 'kakao.unknown') {
      metrics.unknownTypes.inc({ provider: 'kakao' });
      request.log.warn({ eventType: event.sourceType }, 'unknown talk channel event; accepted for catch-all handlers');
    }
    warnWithoutResourceId(request);
    await accept(request, [event]);
    return reply.code(200).send();
  });

  app.route({
    method: ['GET', 'POST'],
    url: KAKAO_TALK_SHARE_PATH,
    exposeHeadRoute: false,
    handler: async (request, reply) => {
      const event = talkShareToEvent(readParams(rawOf(request)), resourceIdOf(request.headers['x-kakao-resource-id']), new Date());
      warnWithoutResourceId(request);
      await accept(request, [event]);
      return reply.code(200).send();
    },
  });
}

const rawOf = (request: FastifyRequest) => ({
  method: request.method,
  url: request.url,
  contentType: request.headers['content-type'],
  body: request.body,
});

function warnWithoutResourceId(request: FastifyRequest) {
  if (resourceIdOf(request.headers['x-kakao-resource-id']) === undefined) {
    request.log.warn('no X-Kakao-Resource-ID; deduplicating on the parameters instead');
  }
}
