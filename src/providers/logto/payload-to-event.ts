import { sha256Hex, type EventSubject } from '../../events/envelope.js';
import type { LogtoEvent, LogtoEventName, LogtoPayloadBase } from './events.js';
import { isLogtoTestPayload, logtoUserOf } from './user-of.js';

/**
 * Turns a verified, parsed Logto payload into the envelope. Logto sends no delivery id and its
 * rare retries are byte-identical, so the id hashes the raw body: an exact
 * redelivery maps to the same job and BullMQ ignores it. Hex has no `:` and is never all digits.
 */
export function payloadToEvent(name: LogtoEventName, payload: LogtoPayloadBase, rawBody: Buffer, receivedAt: Date): LogtoEvent {
  return {
    id: `logto-${sha256Hex(rawBody)}`,
    provider: 'logto',
    type: name,
    sourceType: payload.event,
    subject: subjectOf(payload),
    occurredAt: new Date(payload.createdAt).toISOString(),
    receivedAt: receivedAt.toISOString(),
    data: payload,
  } as LogtoEvent;
}

/**
 * The user the event concerns, where it concerns one. Route parameters come before `data.id`:
 * they name the user the API call was about, whatever the response body holds. A console test
 * payload names a fake user, so it gets none, and user-keyed handlers leave it alone.
 */
function subjectOf(payload: LogtoPayloadBase): EventSubject | null {
  if (isLogtoTestPayload(payload)) return null;
  const params = isRecord(payload.params) ? payload.params : {};
  const data = isRecord(payload.data) ? payload.data : {};
  const candidates = [
    payload.userId,
    isRecord(payload.user) ? payload.user.id : undefined,
    params.userId,
    logtoUserOf(payload)?.id,
    payload.event.startsWith('TrustedDevice.') ? data.userId : undefined,
    payload.event === 'Identifier.Lockout' && payload.type === 'userId' ? payload.value : undefined,
  ];
  const id = candidates.find((candidate): candidate is string => typeof candidate === 'string' && candidate !== '');
  return id === undefined ? null : { id };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
