import { sha256Hex, type EventSubject } from '../../events/envelope.js';
import { rejected } from '../../errors.js';
import { kakaoSetEventName, type KakaoSetEvent, type SetEventClaims } from './account-status-events.js';
import type { SetClaims } from './verify-set.js';

/**
 * Turns a verified SET into one envelope per member of `events` (RFC 8417 allows several).
 * The envelope id hashes (iss, jti, event URI): stable across redeliveries, free of the `:`
 * BullMQ forbids in job ids, and never all digits.
 */
export function setToEvents(claims: SetClaims, receivedAt: Date): KakaoSetEvent[] {
  const occurredAt = new Date((claims.toe ?? claims.iat) * 1000).toISOString();
  const transactionId = claims.txn ?? claims.txm;
  return Object.entries(claims.events).map(([uri, eventClaims]) => {
    const data = eventClaims as SetEventClaims;
    const event = {
      id: `kakao-set-${sha256Hex(`${claims.iss}\n${claims.jti}\n${uri}`)}`,
      provider: 'kakao',
      type: kakaoSetEventName(uri),
      sourceType: uri,
      subject: subjectOf(claims, data),
      occurredAt,
      receivedAt: receivedAt.toISOString(),
      data,
      ...(transactionId === undefined ? {} : { transactionId }),
    } as KakaoSetEvent;
    return event;
  });
}

/**
 * The subject may sit in top-level `sub` (Kakao's habit), in `sub_id` (SSF 1.0), or in the
 * event's `subject` (RISC draft, `subject_type: iss-sub`). Where several are given they must name
 * the same user, or we would act on the wrong account.
 */
function subjectOf(claims: SetClaims, event: SetEventClaims): EventSubject | null {
  const candidates: EventSubject[] = [];
  if (claims.sub !== undefined) candidates.push({ id: idString(claims.sub, 'sub'), iss: claims.iss });
  if (claims.sub_id) candidates.push(fromSubjectObject(claims.sub_id, 'sub_id'));
  if (event.subject && typeof event.subject === 'object') candidates.push(fromSubjectObject(event.subject, 'subject'));

  const [first, ...rest] = candidates.filter((candidate) => candidate.id !== '');
  if (!first) return null;
  if (rest.some((other) => other.id !== first.id)) {
    throw rejected('ERR_SET_INVALID', 'sub, sub_id and the event subject name different users');
  }
  return Object.assign({}, ...candidates.reverse(), { id: first.id }) as EventSubject;
}

function fromSubjectObject(subject: Record<string, unknown>, where: string): EventSubject {
  const format = stringOrUndefined(subject.format) ?? stringOrUndefined(subject.subject_type);
  const raw = subject.sub ?? subject.id ?? subject.email ?? subject.phone_number ?? subject.uri;
  return {
    id: raw === undefined ? '' : idString(raw, where),
    ...(format === undefined ? {} : { format }),
    ...(typeof subject.iss === 'string' ? { iss: subject.iss } : {}),
  };
}

/** Ids stay strings; a JSON number above 2^53 has already lost digits, so it is refused, not guessed. */
function idString(value: unknown, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  throw rejected('ERR_SET_INVALID', `${where} must be a string (numbers above 2^53 lose digits)`);
}

const stringOrUndefined = (value: unknown) => (typeof value === 'string' ? value : undefined);
