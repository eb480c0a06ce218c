import type { EventUnion } from '../../events/envelope.js';

/**
 * The events of Kakao's three admin-key webhooks (unlink, Kakao Talk Channel, Kakao Talk Share;
 * https://developers.kakao.com/docs/latest/en/kakaologin/callback). `data` holds the parameters as Kakao sent
 * them, except that user ids are always strings (Kakao ids exceed 2^53).
 */
export const KAKAO_ADMIN_EVENT_NAMES = [
  'kakao.unlinked',
  'kakao.talk-channel.added',
  'kakao.talk-channel.blocked',
  'kakao.talk-share.sent',
] as const;

export type KakaoAdminEventName = (typeof KAKAO_ADMIN_EVENT_NAMES)[number];

/**
 * `referrer_type` values Kakao documents for the unlink webhook, plus two seen only in third-party code.
 * Others are accepted and logged: Kakao adds values without notice.
 */
export const KNOWN_REFERRER_TYPES: ReadonlySet<string> = new Set([
  'ACCOUNT_DELETE',
  'FORCED_ACCOUNT_DELETE',
  'UNLINK_FROM_ADMIN',
  'UNLINK_FROM_APPS',
  'INCOMPLETE_SIGN_UP',
  'REVOKE_ACCOUNT_SERVICE_TERMS',
  'UNLINK_FROM_SERVICE',
]);

/** The unlink webhook's parameters; any further parameter Kakao adds is kept. */
export interface KakaoUnlinkData {
  app_id: string;
  /** The user's 회원번호. */
  user_id: string;
  /** Why the user was unlinked; an open set (see KNOWN_REFERRER_TYPES). */
  referrer_type: string;
  /** Only for group apps. */
  group_user_token?: string;
  [parameter: string]: unknown;
}

/** The Kakao Talk Channel webhook's body; any further key Kakao adds is kept. */
export interface KakaoTalkChannelData {
  event: 'added' | 'blocked';
  /** The user: an app user id or an open id, as `id_type` says. */
  id: string;
  /** `app_user_id` or `open_id`. */
  id_type: string;
  channel_public_id: string;
  channel_uuid: string;
  /** RFC 3339, as sent; also the envelope's occurredAt. Order channel events by it, not by arrival. */
  updated_at: string;
  [key: string]: unknown;
}

/**
 * The Kakao Talk Share webhook's parameters: Kakao's own, plus every `serverCallbackArgs` entry
 * of the share, flattened at top level and kept as they came (strings from a query string or a
 * form, any JSON value from a JSON body). The client sets serverCallbackArgs: do not trust them.
 */
export interface KakaoTalkShareData {
  /** MemoChat, DirectChat, MultiChat, OpenDirectChat, OpenMultiChat. */
  CHAT_TYPE: string;
  /** The receiving chat room, hashed per service. */
  HASH_CHAT_ID: string;
  /** Only when the share used a template; a string from a query string or form, a number from JSON. */
  TEMPLATE_ID?: string | number;
  [serverCallbackArg: string]: unknown;
}

export interface KakaoAdminEventDataMap {
  'kakao.unlinked': KakaoUnlinkData;
  'kakao.talk-channel.added': KakaoTalkChannelData & { event: 'added' };
  'kakao.talk-channel.blocked': KakaoTalkChannelData & { event: 'blocked' };
  'kakao.talk-share.sent': KakaoTalkShareData;
}

export type KakaoAdminEvent<N extends KakaoAdminEventName = KakaoAdminEventName> = EventUnion<KakaoAdminEventDataMap, N>;
