import { UnrecoverableError, type Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { EventOf } from '../events/catalog.js';
import { isPermanent, type HandlerRegistry } from '../handlers/registry.js';
import { lockTuning, type QueueBackend } from './backend.js';
import { logErrorEpisodes } from './worker-errors.js';

export interface EventWorkerOptions {
  backend: QueueBackend;
  name: string;
  registry: HandlerRegistry;
  log: Logger;
  concurrency: number;
  /**
   * BullMQ's lockDuration and stalledInterval (WORKER_LOCK_DURATION_MS): a dead worker's active
   * jobs are taken up by another within about twice this. Unset: BullMQ's 30 s.
   */
  lockDurationMs?: number;
  /** Told when every handler of an event succeeded (for the lag metrics); a throw is logged, never fatal. */
  onHandled?: (event: EventOf, handledAtMs: number) => void;
}

/**
 * The only place that knows BullMQ runs the handlers: it turns a job into `(event, context)`,
 * and a permanent handler failure into BullMQ's UnrecoverableError so the job skips its retries.
 */
export function createEventWorker(options: EventWorkerOptions): Worker<EventOf, void, string> {
  const worker = options.backend.createWorker(
    options.name,
    async (job, _token, signal) => {
      const event = job.data;
      const maxAttempts = job.opts.attempts ?? 1;
      const context = {
        log: options.log.child({ eventId: event.id, eventType: event.type, attempt: job.attemptsMade + 1 }),
        attempt: job.attemptsMade + 1,
        maxAttempts,
        signal: signal ?? new AbortController().signal,
      };
      try {
        await options.registry.receive(event, context);
      } catch (error) {
        if (isPermanent(error)) {
          context.log.error({ err: error }, 'handler failed permanently; the job goes to failed without retries');
          throw new UnrecoverableError(error instanceof Error ? error.message : String(error));
        }
        const last = context.attempt >= maxAttempts;
        context.log[last ? 'error' : 'warn']({ err: error }, last ? 'handler failed on the last attempt' : 'handler failed; will retry');
        throw error;
      }
      try {
        options.onHandled?.(event, Date.now());
      } catch (error) {
        context.log.error({ err: error }, 'the onHandled observer threw');
      }
    },
    {
      concurrency: options.concurrency,
      ...lockTuning(options.lockDurationMs),
    },
  );
  logErrorEpisodes(worker, options.log, 'worker error', 'worker working again');
  return worker;
}
