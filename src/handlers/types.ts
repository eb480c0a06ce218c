import type { Logger } from 'pino';
import type { EventName, EventOf } from '../events/catalog.js';

/** What a handler gets besides the event. Nothing here is Fastify- or BullMQ-specific. */
export interface HandlerContext {
  /** Bound to the event id and type. */
  log: Logger;
  /** 1 on the first try; handlers run again on retries, so they must be idempotent. */
  attempt: number;
  maxAttempts: number;
  /** Aborted when the worker shuts down or gives up on the job. */
  signal: AbortSignal;
}

export type Handler<N extends EventName = EventName> = (event: EventOf<N>, context: HandlerContext) => unknown;

/** Options of one registration (`registry.on(names, handler, options)`). */
export interface HandlerOptions {
  /** The handler's name in metrics (webhook_handler_*{handler}): a fixed string from code, never data. */
  name?: string;
}

/** One handler run, reported to the registry's `onHandlerDone` observer. */
export interface HandlerRun {
  handler: string;
  eventType: EventName;
  seconds: number;
  failed: boolean;
}

/** Told about every failing handler, once per attempt; for alerting, not for recovery. */
export type ErrorHook = (error: HandlerError, context: HandlerContext) => unknown;

/** One or more handlers failed for an event. `errors` holds each failure. */
export class HandlerError extends AggregateError {
  constructor(
    errors: unknown[],
    readonly event: EventOf,
  ) {
    super(errors, errors.map((error) => (error instanceof Error ? error.message : String(error))).join('; '));
    this.name = 'HandlerError';
  }
}
