import type { EventUnion } from '../../events/envelope.js';

/**
 * The event types of Kakao's account status change webhook (OpenID SSF Security Event Tokens),
 * from Kakao's account status change webhook documentation
 * (https://developers.kakao.com/docs/latest/en/kakaologin/callback) and the OpenID CAEP / RISC / SSF specs. Data, not code:
 * the short name is what handlers register for; the URI is what Kakao puts in `events`.
 */
const OAUTH = 'https://schemas.openid.net/secevent/oauth/event-type/';
const RISC = 'https://schemas.openid.net/secevent/risc/event-type/';
const CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
const SSF = 'https://schemas.openid.net/secevent/ssf/event-type/';

export const KAKAO_SET_EVENT_TYPES = {
  // OAUTH: app link and consent changes, sent without extra consent.
  'kakao.user-linked': [`${OAUTH}user-linked`],
  'kakao.user-unlinked': [`${OAUTH}user-unlinked`],
  'kakao.user-scope-consent': [`${OAUTH}user-scope-consent`],
  'kakao.user-scope-withdraw': [`${OAUTH}user-scope-withdraw`],
  'kakao.tokens-revoked': [`${OAUTH}tokens-revoked`],
  'kakao.token-issued': [`${OAUTH}token-issued`],
  'kakao.token-revoked': [`${OAUTH}token-revoked`],
  // RISC: account state.
  'kakao.account-disabled': [`${RISC}account-disabled`],
  'kakao.account-enabled': [`${RISC}account-enabled`],
  'kakao.account-purged': [`${RISC}account-purged`],
  'kakao.account-credential-change-required': [`${RISC}account-credential-change-required`],
  'kakao.credential-compromise': [`${RISC}credential-compromise`],
  'kakao.identifier-changed': [`${RISC}identifier-changed`],
  'kakao.identifier-recycled': [`${RISC}identifier-recycled`],
  'kakao.sessions-revoked': [`${RISC}sessions-revoked`],
  // CAEP: credentials and sessions. session-revoked replaces RISC sessions-revoked in CAEP 1.0.
  'kakao.credential-change': [`${CAEP}credential-change`],
  'kakao.assurance-level-change': [`${CAEP}assurance-level-change`],
  'kakao.session-revoked': [`${CAEP}session-revoked`],
  // KAKAO: profile change. Two URIs circulate in third-party code; any URI ending in
  // user-profile-changed under schemas.kakao.com is matched by kakaoSetEventName() too.
  'kakao.user-profile-changed': [
    'https://schemas.kakao.com/platevent/kakao/event-type/user-profile-changed',
    'https://schemas.kakao.com/events/kakao/user-profile-changed',
  ],
  // SSF framework events; RISC's older verification URI is Google's habit.
  'kakao.ssf-verification': [`${SSF}verification`, `${RISC}verification`],
  'kakao.ssf-stream-updated': [`${SSF}stream-updated`],
} as const satisfies Record<string, readonly string[]>;

export type KakaoSetEventName = keyof typeof KAKAO_SET_EVENT_TYPES | 'kakao.unknown';

const nameByUri = new Map<string, KakaoSetEventName>(
  Object.entries(KAKAO_SET_EVENT_TYPES).flatMap(([name, uris]) =>
    uris.map((uri) => [uri, name as KakaoSetEventName] as const),
  ),
);

/** Our short name for a SET event URI; `kakao.unknown` for a type we do not know. */
export function kakaoSetEventName(uri: string): KakaoSetEventName {
  const known = nameByUri.get(uri);
  if (known) return known;
  if (uri.startsWith('https://schemas.kakao.com/') && uri.endsWith('/user-profile-changed')) {
    return 'kakao.user-profile-changed';
  }
  return 'kakao.unknown';
}

/** The subject as SETs carry it inside an event (Kakao: RISC-draft style `subject_type: iss-sub`). */
export interface SetEventSubject {
  subject_type?: string;
  format?: string;
  iss?: string;
  sub?: string;
  id?: string;
  [claim: string]: unknown;
}

/** Claims every SET event object may carry. Unknown claims are kept. */
export interface SetEventClaims {
  subject?: SetEventSubject;
  /** CAEP optional claims. */
  event_timestamp?: number;
  initiating_entity?: string;
  reason_admin?: Record<string, string>;
  reason_user?: Record<string, string>;
  [claim: string]: unknown;
}

/** The data of each Kakao SET event type, as handlers see it. Field names Kakao has not confirmed are optional. */
export interface KakaoSetEventDataMap {
  'kakao.user-linked': SetEventClaims;
  /** `reason` uses the unlink webhook's referrer_type vocabulary (ACCOUNT_DELETE, UNLINK_FROM_APPS, ...). */
  'kakao.user-unlinked': SetEventClaims & { reason?: string };
  'kakao.user-scope-consent': SetEventClaims & { scope?: string | string[]; scopes?: string | string[] };
  'kakao.user-scope-withdraw': SetEventClaims & { scope?: string | string[]; scopes?: string | string[] };
  'kakao.tokens-revoked': SetEventClaims;
  'kakao.token-issued': SetEventClaims;
  'kakao.token-revoked': SetEventClaims;
  'kakao.account-disabled': SetEventClaims & { reason?: string };
  'kakao.account-enabled': SetEventClaims;
  'kakao.account-purged': SetEventClaims;
  'kakao.account-credential-change-required': SetEventClaims;
  'kakao.credential-compromise': SetEventClaims & { credential_type?: string };
  'kakao.identifier-changed': SetEventClaims & { 'new-value'?: string };
  'kakao.identifier-recycled': SetEventClaims;
  'kakao.sessions-revoked': SetEventClaims;
  'kakao.credential-change': SetEventClaims & { credential_type?: string; change_type?: string };
  'kakao.assurance-level-change': SetEventClaims & {
    namespace?: string;
    current_level?: string;
    previous_level?: string;
    change_direction?: string;
  };
  'kakao.session-revoked': SetEventClaims;
  /** Carries the changed profile values for consented items; Kakao's field names are unconfirmed. */
  'kakao.user-profile-changed': SetEventClaims;
  'kakao.ssf-verification': SetEventClaims & { state?: string };
  'kakao.ssf-stream-updated': SetEventClaims & { status?: string; reason?: string };
  /**
   * A type this receiver does not know; `sourceType` holds its URI, or `talk-channel.<event>` for
   * a Kakao Talk Channel webhook `event` value we do not know (then `data` is its JSON body).
   */
  'kakao.unknown': SetEventClaims;
}

export type KakaoSetEvent<N extends KakaoSetEventName = KakaoSetEventName> = EventUnion<KakaoSetEventDataMap, N>;
