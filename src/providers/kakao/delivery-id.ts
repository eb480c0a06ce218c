import { sha256Hex } from '../../events/envelope.js';
import type { Params } from './admin-params.js';

/**
 * The event id of a Kakao Talk Channel or Share delivery, which is also its job id, so the same
 * delivery twice makes one job. Kakao names each delivery in `X-Kakao-Resource-ID` (Kakao's Share and Channel webhook docs,
 * 6.2). Hashed: the id then holds no `:` (BullMQ forbids it) and is never all digits.
 *
 * Without the header (Kakao documents it as always sent) the delivery is still accepted, since
 * Share is never resent and refusing it would lose it for good; the id then hashes the parameters,
 * so an identical body twice still makes one job. For Channel the body (user, channel, event,
 * updated_at) names the change exactly; for Share, two shares with identical parameters into the
 * same room would count as one, which is why services put a share id in serverCallbackArgs.
 */
export function deliveryId(webhook: 'talk-channel' | 'talk-share', resourceId: string | undefined, params: Params): string {
  if (resourceId !== undefined) return `kakao-${webhook}-${sha256Hex(resourceId)}`;
  const canonical = JSON.stringify(Object.fromEntries(Object.entries(params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
  return `kakao-${webhook}-body-${sha256Hex(canonical)}`;
}

/** The header's value, or undefined when it is absent or blank. */
export function resourceIdOf(header: string | string[] | undefined): string | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  return value ? value : undefined;
}
