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
