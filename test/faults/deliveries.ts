import { createHash } from 'node:crypto';
import { KAKAO_ISSUER, setClaims, signSet, type TestKey } from '../helpers/kakao-transmitter.js';
import { LOGTO_KEY, signLogto, userDataUpdated } from '../helpers/logto-signer.js';

/**
 * Webhook deliveries prepared before a burst, one per user, each with an effect the built-in
 * account-state handler records: a Kakao SET "account disabled" or a Logto "user suspended".
 * Both set the user's status to `disabled` and record the event as `lastEvent`, so the account
 * API shows whether each one took effect.
 */
export interface Delivery {
  provider: 'kakao' | 'logto';
  userId: string;
  /** The id the service gives the event (and its job). */
  eventId: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

const ACCOUNT_DISABLED = 'https://schemas.openid.net/secevent/risc/event-type/account-disabled';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A signed SET saying the user's Kakao account was disabled (Kakao user ids are decimal). */
export async function kakaoAccountDisabled(key: TestKey, userId: string): Promise<Delivery> {
  const jti = `fault-${userId}`;
  const claims = setClaims({
    jti,
    sub: userId,
    events: { [ACCOUNT_DISABLED]: { subject: { subject_type: 'iss-sub', iss: KAKAO_ISSUER, sub: userId } } },
  });
  return {
    provider: 'kakao',
    userId,
    // src/providers/kakao/set-to-events.ts: stable across redeliveries of the same SET.
    eventId: `kakao-set-${sha256(`${KAKAO_ISSUER}\n${jti}\n${ACCOUNT_DISABLED}`)}`,
    path: '/webhooks/kakao/account-status',
    headers: { 'content-type': 'application/secevent+jwt', accept: 'application/json' },
    body: await signSet(key, claims),
  };
}

/** Logto's User.SuspensionStatus.Updated for a suspension, signed with LOGTO_KEY. */
export function logtoUserSuspended(userId: string): Delivery {
  const body = JSON.stringify(
    userDataUpdated({ userId, event: 'User.SuspensionStatus.Updated', matchedRoute: '/users/:userId/is-suspended', data: { id: userId, isSuspended: true } }),
  );
  return {
    provider: 'logto',
    userId,
    // src/providers/logto/payload-to-event.ts: the hash of the exact body.
    eventId: `logto-${sha256(body)}`,
    path: '/webhooks/logto',
    headers: { 'content-type': 'application/json', 'logto-signature-sha-256': signLogto(LOGTO_KEY, body) },
    body,
  };
}

/**
 * `count` deliveries, Kakao and Logto alternating, each about a user of its own; the seed keeps
 * the users of different tests (and runs) apart.
 */
export async function mixedDeliveries(key: TestKey, count: number): Promise<Delivery[]> {
  const seed = `${Date.now()}${String(process.pid).padStart(7, '0')}`.slice(-12);
  return Promise.all(
    Array.from({ length: count }, (_, index) =>
      index % 2 === 0 ? kakaoAccountDisabled(key, `9${seed}${String(index).padStart(6, '0')}`) : Promise.resolve(logtoUserSuspended(`fault-${seed}-${index}`)),
    ),
  );
}
