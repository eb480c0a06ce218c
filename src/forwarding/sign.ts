import { Webhook } from 'standardwebhooks';

/** The three Standard Webhooks headers for one delivery attempt. */
export interface SignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * Signs with the `standardwebhooks` library, so what we send is what its verifiers in every
 * language accept. Every secret signs (space-separated `v1,` signatures): during a rotation the
 * application verifies with either. `webhook-id` is the event id, the same on every retry, so it
 * is the application's idempotency key; the timestamp is the attempt's, as the specification asks
 * (verifiers refuse one more than 5 minutes off).
 */
export function createSigner(secrets: readonly string[]) {
  const webhooks = secrets.map((secret) => new Webhook(secret));
  return (id: string, body: string, at: Date): SignatureHeaders => ({
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': webhooks.map((webhook) => webhook.sign(id, at, body)).join(' '),
  });
}
