import { z } from 'zod';
import type { Params } from './admin-params.js';
import { parseParams, text } from './admin-schema.js';
import type { KakaoAdminEvent } from './admin-webhook-events.js';
import { deliveryId } from './delivery-id.js';

/**
 * Kakao's own Share parameters (Kakao Talk Share webhook docs). Every other parameter is a serverCallbackArgs
 * entry of the share and is kept exactly as it came, TEMPLATE_ID included (a string from a
 * query string or form, a number from JSON): converting would lose what Kakao sent.
 */
const shareSchema = z.looseObject({
  CHAT_TYPE: text,
  HASH_CHAT_ID: text,
  TEMPLATE_ID: z.union([text, z.number()], { error: 'must be given once, as a template id' }).optional(),
});

/** Builds the event of an authenticated Share delivery; the message was sent when Kakao calls. */
export function talkShareToEvent(params: Params, resourceId: string | undefined, receivedAt: Date): KakaoAdminEvent<'kakao.talk-share.sent'> {
  const data = parseParams(shareSchema, params, 'talk share');
  return {
    id: deliveryId('talk-share', resourceId, params),
    provider: 'kakao',
    type: 'kakao.talk-share.sent',
    sourceType: 'talk-share',
    // The sharer is not named: only the service's own serverCallbackArgs can say who shared.
    subject: null,
    occurredAt: receivedAt.toISOString(),
    receivedAt: receivedAt.toISOString(),
    data,
  };
}
