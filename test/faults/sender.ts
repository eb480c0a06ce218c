import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Delivery } from './deliveries.js';

/**
 * Plays the webhook senders: POSTs deliveries, times each answer, and retries refused ones the
 * way Kakao and Logto would. A request that got no HTTP answer (connection refused or reset, or
 * no answer in `ABANDON_MS`) counts as status 0: not acknowledged.
 */
export interface Attempt {
  delivery: Delivery;
  status: number;
  retryAfter: string | null;
  /** performance.now() when the request was sent and when its answer (or failure) came. */
  sentAt: number;
  answeredAt: number;
  ms: number;
}

/** Well past any bound the service promises: a request still open then is a hang, not an answer. */
const ABANDON_MS = 5000;

export const acknowledged = (attempt: Attempt) => attempt.status >= 200 && attempt.status < 300;

export async function send(baseUrl: string, delivery: Delivery): Promise<Attempt> {
  const sentAt = performance.now();
  let status = 0;
  let retryAfter: string | null = null;
  try {
    const response = await fetch(`${baseUrl}${delivery.path}`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
      signal: AbortSignal.timeout(ABANDON_MS),
    });
    await response.arrayBuffer();
    status = response.status;
    retryAfter = response.headers.get('retry-after');
  } catch {
    status = 0;
  }
  const answeredAt = performance.now();
  return { delivery, status, retryAfter, sentAt, answeredAt, ms: answeredAt - sentAt };
}

export interface BurstOptions {
  /** Requests in flight at once. */
  concurrency?: number;
  /** Pause of each lane between its requests, to spread a burst over time. */
  gapMs?: number;
  /** Called after every answer, e.g. to kill something mid-burst. */
  onAttempt?: (attempt: Attempt, all: readonly Attempt[]) => void;
  /** Resolved per request, so a burst can follow a restarted service to its new port. */
  baseUrl: () => string;
}

/** Sends every delivery once, `concurrency` at a time, in order; resolves with every attempt. */
export async function burst(deliveries: readonly Delivery[], options: BurstOptions): Promise<Attempt[]> {
  const attempts: Attempt[] = [];
  let next = 0;
  const lane = async () => {
    while (next < deliveries.length) {
      const delivery = deliveries[next++]!;
      const attempt = await send(options.baseUrl(), delivery);
      attempts.push(attempt);
      options.onAttempt?.(attempt, attempts);
      if (options.gapMs) await sleep(options.gapMs);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, lane));
  return attempts;
}

/**
 * Resends each delivery until it is acknowledged, as a sender does after a 503 or a dropped
 * connection (a real sender would also honour Retry-After; the test does not wait that long).
 */
export async function resendUntilAcknowledged(baseUrl: string, deliveries: readonly Delivery[], timeoutMs = 20_000): Promise<Attempt[]> {
  const deadline = Date.now() + timeoutMs;
  let pending = [...deliveries];
  const attempts: Attempt[] = [];
  while (pending.length > 0) {
    if (Date.now() > deadline) throw new Error(`${pending.length} deliveries still not acknowledged after ${timeoutMs} ms of retries`);
    const round = await burst(pending, { baseUrl: () => baseUrl });
    attempts.push(...round);
    pending = round.filter((attempt) => !acknowledged(attempt)).map((attempt) => attempt.delivery);
    if (pending.length > 0) await sleep(200);
  }
  return attempts;
}
