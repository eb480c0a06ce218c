/** One HTTP request that delivers a test event, built by the provider's builder, sent by `send`. */
export interface TestRequest {
  method: 'POST';
  /** Path on the receiver, e.g. /webhooks/logto. */
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** What every builder gets: the user the event is about, the caller's `--data`, the time. */
export interface TestEventInput {
  user: string;
  data: Record<string, unknown>;
  now: Date;
}

/** Sent as User-Agent, so the receiver's logs tell test events from the providers' own. */
export const SEND_USER_AGENT = 'kakao-logto-webhook-receiver-send/1 (test event)';
