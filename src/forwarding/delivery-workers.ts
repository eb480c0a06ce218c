import { UnrecoverableError, type Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { EventOf } from '../events/catalog.js';
import { lockTuning, type QueueBackend } from '../queue/backend.js';
import { logErrorEpisodes } from '../queue/worker-errors.js';
import type { ForwardingConfig, ForwardTarget } from './config.js';
import { deliver } from './deliver.js';
import type { AttemptReport } from './metrics.js';
import type { ForwardedEvent } from './payload.js';
import { forwardQueueName } from './queues.js';
import { createSigner } from './sign.js';

/** Sent as User-Agent, so the application's logs say who calls. */
const USER_AGENT = 'kakao-logto-webhook-receiver (Standard Webhooks)';

export interface DeliveryWorkersOptions {
  backend: QueueBackend;
  eventQueueName: string;
  config: ForwardingConfig;
  log: Logger;
  /** WORKER_LOCK_DURATION_MS, as the event worker has it. */
  lockDurationMs?: number;
  onAttempt?: (report: AttemptReport) => void;
}

/** A retryable failure: BullMQ retries it after the target's Retry-After, or the usual backoff. */
export class RetryableDeliveryError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
    this.name = 'RetryableDeliveryError';
  }
}

/**
 * Exponential from FORWARD_BACKOFF_MS, doubling to FORWARD_MAX_BACKOFF_MS, minus up to a quarter
 * at random so that deliveries that failed together do not all come back together (the spec's
 * jitter). A Retry-After the target sent wins.
 */
export function forwardBackoff(config: Pick<ForwardingConfig, 'backoffMs' | 'maxBackoffMs'>, random = Math.random) {
  return (attemptsMade: number, _type?: string, error?: Error): number => {
    if (error instanceof RetryableDeliveryError && error.retryAfterMs !== undefined) return error.retryAfterMs;
    const full = Math.min(config.maxBackoffMs, config.backoffMs * 2 ** Math.max(0, attemptsMade - 1));
    return Math.round(full * (1 - 0.25 * random()));
  };
}

/** How long close() lets deliveries in flight finish before it abandons them (they are retried). */
const CLOSE_GRACE_MS = 2000;

/**
 * One BullMQ worker per target, on the target's own queue, each with FORWARD_CONCURRENCY slots:
 * a target that answers slowly or not at all holds only its own slots. The only place that knows
 * BullMQ delivers: it signs, POSTs, and turns the answer into done, retry or failed for good.
 */
export function createDeliveryWorkers(options: DeliveryWorkersOptions) {
  const { config } = options;
  // Aborted when close() has waited CLOSE_GRACE_MS: a target that takes its whole timeout must
  // not hold the process past SHUTDOWN_GRACE_MS, when it would be killed with the job active.
  const shuttingDown = new AbortController();
  const backoffStrategy = forwardBackoff(config);
  const workers = config.targets.map((target) => startWorker(target));

  function startWorker(target: ForwardTarget): Worker<EventOf, void, string> {
    const sign = createSigner(target.secrets);
    const log = options.log.child({ target: target.name });
    const worker = options.backend.createWorker(
      forwardQueueName(options.eventQueueName, target.name),
      async (job, _token, signal) => {
        const payload = job.data as ForwardedEvent;
        const attempt = job.attemptsMade + 1;
        const maxAttempts = job.opts.attempts ?? 1;
        const body = JSON.stringify(payload);
        const started = performance.now();
        const result = await deliver({
          url: target.url,
          body,
          headers: sign(payload.id, body, new Date()),
          timeoutMs: target.timeoutMs,
          signal: signal ? AbortSignal.any([signal, shuttingDown.signal]) : shuttingDown.signal,
          userAgent: USER_AGENT,
        });
        const seconds = (performance.now() - started) / 1000;
        const final = result.outcome === 'delivered' || !result.retryable || attempt >= maxAttempts;
        try {
          options.onAttempt?.({ target: target.name, outcome: result.outcome, seconds, final });
        } catch (error) {
          log.error({ err: error }, 'the onAttempt observer threw');
        }
        const fields = { eventId: payload.id, eventType: payload.type, attempt, maxAttempts, outcome: result.outcome, ms: Math.round(seconds * 1000) };
        if (result.outcome === 'delivered') {
          log.debug({ ...fields, status: result.status }, 'event forwarded');
          return;
        }
        // The job's reason may quote the answer; the log line never does (see AttemptResult).
        const reason = `target ${target.name} ${result.detail}`;
        const logged = { ...fields, status: result.status, reason: `target ${target.name} ${result.summary}` };
        if (!result.retryable) {
          log.error(logged, `forwarding refused for good; the delivery is in the failed set (npm run cli -- failed show ${payload.id} --target ${target.name})`);
          throw new UnrecoverableError(reason);
        }
        log[final ? 'error' : 'warn'](logged, final ? 'forwarding failed on the last attempt; the delivery is in the failed set' : 'forwarding failed; will retry');
        throw new RetryableDeliveryError(reason, result.retryAfterMs);
      },
      {
        concurrency: config.concurrency,
        // PostgreSQL: a delivery holds no connection while it waits on the target, so two serve
        // its slots (plus the worker's LISTEN connection).
        connections: 2,
        settings: { backoffStrategy },
        ...lockTuning(options.lockDurationMs),
      },
    );
    logErrorEpisodes(worker, log, 'delivery worker error', 'delivery worker working again');
    void worker.run();
    return worker;
  }

  return {
    /**
     * Lets the deliveries in flight finish for up to CLOSE_GRACE_MS, then abandons the rest: each
     * ends as a retryable failure and is delivered again later (the application may see it twice,
     * with the same webhook-id).
     */
    async close(): Promise<void> {
      const abandon = setTimeout(() => shuttingDown.abort(), CLOSE_GRACE_MS);
      try {
        await Promise.all(workers.map((worker) => worker.close()));
      } finally {
        clearTimeout(abandon);
      }
    },
  };
}
