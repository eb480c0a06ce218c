import type { EventUnion } from './envelope.js';
import { KAKAO_SET_EVENT_TYPES, type KakaoSetEventDataMap } from '../providers/kakao/account-status-events.js';
import { KAKAO_ADMIN_EVENT_NAMES, type KakaoAdminEventDataMap } from '../providers/kakao/admin-webhook-events.js';
import { LOGTO_EVENT_TYPES, type LogtoEventDataMap } from '../providers/logto/events.js';

/**
 * Every event name a handler can register for, with the type of its `data`. Each provider adds
 * its map here; the registry refuses names that are not in EVENT_NAMES.
 */
export interface EventDataMap extends KakaoSetEventDataMap, KakaoAdminEventDataMap, LogtoEventDataMap {}

export type EventName = keyof EventDataMap & string;

/** The event a handler for `N` receives; distributes over unions, so `event.type` narrows `data`. */
export type EventOf<N extends EventName = EventName> = EventUnion<EventDataMap, N>;

export const EVENT_NAMES: ReadonlySet<string> = new Set<EventName>([
  ...(Object.keys(KAKAO_SET_EVENT_TYPES) as (keyof typeof KAKAO_SET_EVENT_TYPES)[]),
  ...KAKAO_ADMIN_EVENT_NAMES,
  'kakao.unknown',
  ...(Object.keys(LOGTO_EVENT_TYPES) as (keyof typeof LOGTO_EVENT_TYPES)[]),
  'logto.unknown',
]);
