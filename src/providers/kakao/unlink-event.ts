import { z } from 'zod';
import { sha256Hex } from '../../events/envelope.js';
import type { DedupeWindow } from '../../queue/event-queue.js';
import { rejected } from '../../errors.js';
import type { Params } from './admin-params.js';
import { kakaoDecimalId, parseParams, text } from './admin-schema.js';
import type { KakaoAdminEvent } from './admin-webhook-events.js';

/** The unlink webhook's parameters (Kakao Login docs, unlink webhook); unknown ones are kept. */
const unlinkSchema = z.looseObject({
  app_id: kakaoDecimalId,
  user_id: kakaoDecimalId,
  referrer_type: text,
  group_user_token: text.optional(),
});

export interface UnlinkOptions {
  /** App ids we serve; empty accepts any. */
  appIds: readonly string[];
  dedupeSeconds: number;
  receivedAt: Date;
}

export interface Unlink {
  event: KakaoAdminEvent<'kakao.unlinked'>;
  dedupe: DedupeWindow;
}

/**
 * Validates an authenticated unlink and builds its event. `app_id` is checked first, as part of
 * authentication (Kakao: "validate with the admin key and the app id"), so a foreign app gets 401
 * whatever else its request holds; a malformed request from our app gets 400.
 *
 * Kakao gives no delivery id. A redelivery is recognised as the same (app, user, referrer_type)
 * inside `dedupeSeconds` of the first delivery, not inside the 7-day job-id window: a user who
 * re-links and is unlinked again must reach the handlers again, or sessions opened after the
 * re-link would survive. Each accepted unlink therefore gets an event id of its own.
 */
export function unlinkToEvent(params: Params, options: UnlinkOptions): Unlink {
  if (options.appIds.length > 0 && !options.appIds.includes(appIdOf(params.app_id) ?? '')) {
    throw rejected('ERR_APP_ID_INVALID', 'app_id is missing or is not an app this receiver serves', undefined, 401);
  }
  const data = parseParams(unlinkSchema, params, 'unlink');
  const key = sha256Hex(`${data.app_id}\n${data.user_id}\n${data.referrer_type}`);
  const receivedAt = options.receivedAt.toISOString();
  return {
    event: {
      id: `kakao-unlink-${key}-${options.receivedAt.getTime()}`,
      provider: 'kakao',
      type: 'kakao.unlinked',
      sourceType: 'unlink',
      subject: { id: data.user_id },
      // Kakao sends no time; it sends the webhook once the unlink is done, so receipt is the bound.
      occurredAt: receivedAt,
      receivedAt,
      data,
    },
    dedupe: { key: `kakao-unlink-${key}`, ttlSeconds: options.dedupeSeconds },
  };
}

function appIdOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return undefined;
}
