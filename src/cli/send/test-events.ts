import type { Provider } from '../../events/envelope.js';
import { EVENT_NAMES, type EventName } from '../../events/catalog.js';
import { KAKAO_SET_EVENT_TYPES, type KakaoSetEventName } from '../../providers/kakao/account-status-events.js';
import { KAKAO_ACCOUNT_STATUS_PATH } from '../../providers/kakao/account-status-route.js';
import { KAKAO_DECIMAL_ID } from '../../providers/kakao/admin-schema.js';
import { KAKAO_ADMIN_EVENT_NAMES, type KakaoAdminEventName } from '../../providers/kakao/admin-webhook-events.js';
import { LOGTO_WEBHOOK_PATH } from '../../providers/logto/route.js';
import type { SendCredentials } from './credentials.js';
import { KAKAO_ADMIN_PATHS, kakaoAdminRequest } from './kakao-admin-request.js';
import { kakaoSetRequest } from './kakao-set-request.js';
import { logtoRequest } from './logto-request.js';
import type { TestEventInput, TestRequest } from './test-request.js';

/**
 * Every typed event name (src/events/catalog.ts) as something `send` can deliver: which webhook
 * carries it, to which path, and how its request is built. `kakao.unknown` and `logto.unknown`
 * are sent as a type the receiver does not know, which is how they arise.
 */

/** Which webhook carries an event, and so how its request is signed. */
export type Carrier = 'kakao-account-status' | 'kakao-admin' | 'logto';

/** The users test events are about when --user is not given (and the README's examples). */
export const DEFAULT_USERS: Record<Provider, string> = { kakao: '1234567890', logto: 'u1' };

export const isEventName = (name: string): name is EventName => EVENT_NAMES.has(name);

const isKakaoSetName = (name: EventName): name is KakaoSetEventName => name === 'kakao.unknown' || Object.hasOwn(KAKAO_SET_EVENT_TYPES, name);
const isKakaoAdminName = (name: EventName): name is KakaoAdminEventName => (KAKAO_ADMIN_EVENT_NAMES as readonly string[]).includes(name);

export function carrierOf(name: EventName): Carrier {
  if (isKakaoSetName(name)) return 'kakao-account-status';
  if (isKakaoAdminName(name)) return 'kakao-admin';
  return 'logto';
}

export const providerOf = (name: EventName): Provider => (carrierOf(name) === 'logto' ? 'logto' : 'kakao');

export function pathOf(name: EventName): string {
  if (isKakaoSetName(name)) return KAKAO_ACCOUNT_STATUS_PATH;
  if (isKakaoAdminName(name)) return KAKAO_ADMIN_PATHS[name];
  return LOGTO_WEBHOOK_PATH;
}

export interface ProviderEvents {
  provider: Provider;
  events: { name: EventName; path: string }[];
}

/** Every typed event name, grouped by provider, in the catalog's order. */
export function sendableEvents(): ProviderEvents[] {
  const groups = new Map<Provider, ProviderEvents>();
  for (const name of EVENT_NAMES as ReadonlySet<EventName>) {
    const provider = providerOf(name);
    const group = groups.get(provider) ?? { provider, events: [] };
    group.events.push({ name, path: pathOf(name) });
    groups.set(provider, group);
  }
  return [...groups.values()];
}

/** Why `user` cannot be the subject of `name`'s provider; undefined when it can. */
export function userProblem(name: EventName, user: string): string | undefined {
  if (providerOf(name) === 'kakao') {
    return KAKAO_DECIMAL_ID.test(user) ? undefined : 'a Kakao user id is a positive decimal of at most 20 digits (회원번호), e.g. 1234567890';
  }
  return /^[\x21-\x7e]{1,256}$/.test(user) ? undefined : 'a Logto user id is 1 to 256 printable characters without spaces';
}

export async function buildTestRequest(name: EventName, input: TestEventInput, credentials: SendCredentials): Promise<TestRequest> {
  if (isKakaoSetName(name)) return kakaoSetRequest(name, input, credentials.kakaoSigning());
  if (isKakaoAdminName(name)) return kakaoAdminRequest(name, input, credentials.kakaoAdmin());
  return logtoRequest(name, input, credentials.logtoSigningKey());
}
