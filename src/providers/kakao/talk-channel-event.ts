import { z } from 'zod';
import type { WebhookEvent } from '../../events/envelope.js';
import type { SetEventClaims } from './account-status-events.js';
import type { Params } from './admin-params.js';
import { KAKAO_DECIMAL_ID, kakaoId, parseParams, text } from './admin-schema.js';
import type { KakaoAdminEvent } from './admin-webhook-events.js';
import { deliveryId } from './delivery-id.js';

/** The Kakao Talk Channel webhook's body (Kakao Talk Channel webhook docs); unknown keys are kept. */
const channelSchema = z.looseObject({
  event: z.enum(['added', 'blocked']),
  id: kakaoId,
  id_type: text,
  channel_public_id: text,
  channel_uuid: text,
  // Lenient on the exact RFC 3339 shape: refusing a real change over formatting would lose it.
  updated_at: text.refine((value) => !Number.isNaN(Date.parse(value)), 'must be an RFC 3339 date-time'),
}).refine((data) => data.id_type !== 'app_user_id' || KAKAO_DECIMAL_ID.test(data.id), {
  path: ['id'],
  message: 'must be a positive decimal id of at most 20 digits when id_type is app_user_id',
});

const eventValue = z.looseObject({ event: text });

export type TalkChannelEvent =
  | KakaoAdminEvent<'kakao.talk-channel.added' | 'kakao.talk-channel.blocked'>
  | WebhookEvent<'kakao.unknown', SetEventClaims>;

/**
 * Builds the event of an authenticated channel delivery. An `event` value other than `added` or
 * `blocked` is acknowledged and queued as `kakao.unknown` (sourceType `talk-channel.<value>`) for
 * catch-all handlers, as Kakao asks receivers to answer 2xx to it in its Channel webhook docs; its other keys
 * are not validated, since we cannot know what that event carries.
 */
export function talkChannelToEvent(params: Params, resourceId: string | undefined, receivedAt: Date): TalkChannelEvent {
  const { event: value } = parseParams(eventValue, params, 'talk channel');
  const common = { id: deliveryId('talk-channel', resourceId, params), provider: 'kakao' as const, sourceType: `talk-channel.${value}` };

  if (value !== 'added' && value !== 'blocked') {
    const id = typeof params.id === 'string' && params.id !== '' ? params.id : undefined;
    return {
      ...common,
      type: 'kakao.unknown',
      subject: id === undefined ? null : { id, ...(typeof params.id_type === 'string' ? { format: params.id_type } : {}) },
      occurredAt: receivedAt.toISOString(),
      receivedAt: receivedAt.toISOString(),
      data: params as SetEventClaims,
    };
  }
  const data = parseParams(channelSchema, params, 'talk channel');
  const shared = {
    ...common,
    subject: { id: data.id, format: data.id_type },
    occurredAt: new Date(data.updated_at).toISOString(),
    receivedAt: receivedAt.toISOString(),
  };
  return data.event === 'added'
    ? { ...shared, type: 'kakao.talk-channel.added', data: { ...data, event: 'added' } }
    : { ...shared, type: 'kakao.talk-channel.blocked', data: { ...data, event: 'blocked' } };
}
