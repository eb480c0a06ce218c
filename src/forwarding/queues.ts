import type { DefaultJobOptions } from 'bullmq';
import type { ForwardingConfig } from './config.js';

/**
 * Each target has a queue of its own, beside the event queue: a slow or failing target fills
 * only its own queue and its own worker's slots, and its retries re-run nothing but its delivery.
 * The CLI's `--target <name>` and the dashboard find its failed deliveries here.
 */
export function forwardQueueName(eventQueueName: string, target: string): string {
  return `${eventQueueName}-forward-${target}`;
}

/** The backoff type forwarding jobs name; the delivery workers implement it (Retry-After, else exponential). */
export const FORWARD_BACKOFF_TYPE = 'forward';

export function forwardJobOptions(config: ForwardingConfig, failedRetentionSeconds: number): DefaultJobOptions {
  return {
    attempts: config.attempts,
    backoff: { type: FORWARD_BACKOFF_TYPE },
    // Delivered: gone at once (the payload may hold an email or a name). Failed: kept for the
    // dead-letter commands as long as failed events are.
    removeOnComplete: true,
    removeOnFail: { age: failedRetentionSeconds },
  };
}
