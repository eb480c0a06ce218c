import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT } from 'jose';
import type { DevKakaoSecrets } from '../../dev/secrets.js';
import { KAKAO_SET_EVENT_TYPES, type KakaoSetEventName } from '../../providers/kakao/account-status-events.js';
import { KAKAO_ACCOUNT_STATUS_PATH } from '../../providers/kakao/account-status-route.js';
import { deepMerge } from './deep-merge.js';
import { SEND_USER_AGENT, type TestEventInput, type TestRequest } from './test-request.js';

/**
 * A Security Event Token for Kakao's account status webhook, shaped like Kakao's published
 * examples (top-level `sub`, an `iss-sub` subject in the event), signed RS256 with the
 * development key. `--data` merges into the event's own claims: what handlers see as `data`.
 */

/** A type no receiver knows: the receiver acknowledges it and queues it as `kakao.unknown`. */
export const UNKNOWN_SET_EVENT_URI = 'https://schemas.kakao.com/dev/event-type/unknown-test-event';

/** Framework events about the stream, not about a user: they carry no subject. */
const STREAM_EVENTS: ReadonlySet<KakaoSetEventName> = new Set(['kakao.ssf-verification', 'kakao.ssf-stream-updated']);

/** Claims that make each event plausible; the rest carry only their subject. */
const SAMPLE_CLAIMS: Partial<Record<KakaoSetEventName, Record<string, unknown>>> = {
  'kakao.user-unlinked': { reason: 'UNLINK_FROM_APPS' },
  'kakao.user-scope-consent': { scope: ['account_email'] },
  'kakao.user-scope-withdraw': { scope: ['account_email'] },
  'kakao.account-disabled': { reason: 'hijacking' },
  'kakao.credential-compromise': { credential_type: 'password' },
  'kakao.identifier-changed': { 'new-value': 'dev-user@example.com' },
  'kakao.credential-change': { credential_type: 'password', change_type: 'update' },
  'kakao.assurance-level-change': { namespace: 'nist-aal', current_level: 'nist-aal2', previous_level: 'nist-aal1', change_direction: 'increase' },
  'kakao.user-profile-changed': { kakao_account: { email: 'dev-user@example.com', profile: { nickname: 'Dev User' } } },
  'kakao.ssf-verification': { state: 'dev-verification' },
  'kakao.ssf-stream-updated': { status: 'enabled' },
};

export function setEventUri(name: KakaoSetEventName): string {
  return name === 'kakao.unknown' ? UNKNOWN_SET_EVENT_URI : KAKAO_SET_EVENT_TYPES[name][0];
}

export async function kakaoSetRequest(name: KakaoSetEventName, input: TestEventInput, signing: DevKakaoSecrets): Promise<TestRequest> {
  const aboutUser = !STREAM_EVENTS.has(name);
  const subject = aboutUser ? { subject: { subject_type: 'iss-sub', iss: signing.issuer, sub: input.user } } : {};
  const claims = {
    iss: signing.issuer,
    aud: signing.audience,
    iat: Math.floor(input.now.getTime() / 1000),
    // In milliseconds (a NumericDate may have a fraction): two events sent within one second
    // still apply in the order they were sent, since the account state orders by event time.
    toe: input.now.getTime() / 1000,
    jti: randomUUID(),
    ...(aboutUser ? { sub: input.user } : {}),
    events: { [setEventUri(name)]: deepMerge({ ...subject, ...SAMPLE_CLAIMS[name] }, input.data) },
  };
  const key = await importJWK(signing.signingKey, 'RS256');
  const token = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: signing.signingKey.kid, typ: 'secevent+jwt' }).sign(key);
  return {
    method: 'POST',
    path: KAKAO_ACCOUNT_STATUS_PATH,
    headers: { 'content-type': 'application/secevent+jwt', accept: 'application/json', 'user-agent': SEND_USER_AGENT },
    body: token,
  };
}
