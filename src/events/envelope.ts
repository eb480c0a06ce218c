import * as crypto from 'node:crypto';

/**
 * The provider-independent envelope every accepted webhook becomes. It is the data of one BullMQ
 * job and the first argument of every handler. It holds no secrets.
 */
export type Provider = 'kakao' | 'logto';

export interface EventSubject {
  /** The user's id at the provider. Always a string: Kakao ids exceed 2^53. */
  id: string;
  /** How the id was expressed (`iss_sub`, `opaque`, ...), where the provider says. */
  format?: string;
  /** The issuer the id belongs to, where the provider says. */
  iss?: string;
}

export interface WebhookEvent<Type extends string = string, Data = Record<string, unknown>> {
  /** Stable across redeliveries of the same event; also the job id, so it deduplicates. */
  id: string;
  provider: Provider;
  /** Our short type name, e.g. `kakao.user-unlinked`. */
  type: Type;
  /** The provider's own name for the type, e.g. the SET event URI. */
  sourceType: string;
  subject: EventSubject | null;
  /** ISO 8601: when the provider says it happened. */
  occurredAt: string;
  /** ISO 8601: when this receiver accepted it. */
  receivedAt: string;
  /** The event's own claims or payload, as the provider sent them. */
  data: Data;
  /** Correlates events with one cause (SET `txn`), where the provider sends one. */
  transactionId?: string;
}

/**
 * Event ids hash the provider's delivery identity: the hex has no `:` (BullMQ forbids it in job
 * ids), and the provider prefix keeps an id from being all digits.
 */
export const sha256Hex: (input: string | Buffer) => string =
  // crypto.hash (Node 20.12+) does in one call what createHash does with an object and three:
  // a third of the time on the request path.
  typeof crypto.hash === 'function' ? (input) => crypto.hash('sha256', input, 'hex') : (input) => crypto.createHash('sha256').update(input).digest('hex');

/** The events of a provider's type-to-data map; distributes over unions, so `type` narrows `data`. */
export type EventUnion<Map, N extends keyof Map & string = keyof Map & string> = {
  [K in N]: WebhookEvent<K, Map[K]>;
}[N];
