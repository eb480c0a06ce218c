import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ReceiverError } from './errors.js';
import type { EventOf } from './events/catalog.js';

/** How a JWKS fetch ended; the label values of webhook_jwks_fetches_total. */
export type JwksFetchOutcome = 'success' | 'timeout' | 'http_error' | 'invalid' | 'error';

/** One handler run, as the handler registry reports it (src/handlers/registry.ts). */
export interface HandlerRunReport {
  /** The registration's name (`{ name }`, else the function's name, else 'anonymous'). */
  handler: string;
  seconds: number;
  failed: boolean;
}

/**
 * Prometheus metrics, one registry per process (and per app in tests), served at GET /metrics.
 * Names follow Prometheus conventions: base units (seconds), `_total` for counters, timestamps as
 * `_timestamp_seconds` gauges. Labels are bounded: route templates, our typed event names, handler
 * names from code, fixed outcome sets; never user ids, raw URLs or event URIs.
 *
 * The metrics read from the store at scrape time (queue depth, oldest waiting job, store up) and
 * the JWKS age are registered by src/observability/collectors.ts where their source exists.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const handlerSeconds = new Histogram({
    name: 'webhook_handler_duration_seconds',
    help: 'Time one handler took for one event (each attempt; failures included), by handler name',
    labelNames: ['handler'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const handlerFailures = new Counter({
    name: 'webhook_handler_failures_total',
    help: 'Handler runs that threw (each attempt; PermanentError included), by handler name',
    labelNames: ['handler'] as const,
    registers: [registry],
  });
  const occurredToHandled = new Histogram({
    name: 'webhook_event_occurred_to_handled_seconds',
    help: "Time from the event's occurredAt (the provider's event time) until all its handlers succeeded, by provider",
    labelNames: ['provider'] as const,
    // Kakao redelivers for hours and reports event times that may be older still.
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 24 * 3600, 7 * 24 * 3600],
    registers: [registry],
  });
  const receivedToHandled = new Histogram({
    name: 'webhook_event_received_to_handled_seconds',
    help: "Time from the event's receivedAt (when this receiver accepted it) until all its handlers succeeded, by provider",
    labelNames: ['provider'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    registers: [registry],
  });
  const verificationSeconds = new Histogram({
    name: 'webhook_verification_seconds',
    help: 'Time spent proving a webhook authentic (Kakao: SET verification including the JWKS lookup; Logto: HMAC), by provider and outcome (valid, refused, unavailable)',
    labelNames: ['provider', 'outcome'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const jwksFetches = new Counter({
    name: 'webhook_jwks_fetches_total',
    help: "Fetches of Kakao's JWKS by outcome (success, timeout, http_error, invalid, error)",
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const lastSuccess = new Gauge({
    name: 'webhook_last_success_timestamp_seconds',
    help: 'Unix time of the last 2xx answer, by endpoint (route template); absent until the first one. Alert on time() - this',
    labelNames: ['endpoint'] as const,
    registers: [registry],
  });
  const lastFailure = new Gauge({
    name: 'webhook_last_failure_timestamp_seconds',
    help: 'Unix time of the last 5xx answer, by endpoint (route template); absent until the first one',
    labelNames: ['endpoint'] as const,
    registers: [registry],
  });
  const collectErrors = new Counter({
    name: 'webhook_metrics_collect_errors_total',
    help: 'Scrapes whose store queries (queue depth, oldest waiting job) failed or took too long; those gauges keep their last value',
    registers: [registry],
  });

  return {
    registry,
    requests: new Counter({
      name: 'webhook_requests_total',
      help: 'Webhook requests by endpoint and HTTP status',
      labelNames: ['endpoint', 'status'] as const,
      registers: [registry],
    }),
    accepted: new Counter({
      name: 'webhook_events_accepted_total',
      help: 'Events stored in the queue, by provider and type (redeliveries included)',
      labelNames: ['provider', 'type'] as const,
      registers: [registry],
    }),
    unknownKid: new Counter({
      name: 'webhook_unknown_signing_key_total',
      help: 'SETs answered 503 because their kid is not in the cached JWKS while its refetch cools down: Kakao after a key rotation (it retries) or forged tokens. Not counted in webhook_last_failure_timestamp_seconds',
      labelNames: ['endpoint'] as const,
      registers: [registry],
    }),
    unknownTypes: new Counter({
      name: 'webhook_unknown_event_types_total',
      help: 'Accepted events whose type this receiver does not know',
      labelNames: ['provider'] as const,
      registers: [registry],
    }),
    ackSeconds: new Histogram({
      name: 'webhook_ack_seconds',
      help: 'Time from request to answer on webhook endpoints',
      labelNames: ['endpoint'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3],
      registers: [registry],
    }),
    processed: new Counter({
      name: 'webhook_jobs_processed_total',
      help: 'Jobs run by the worker, by event type and outcome',
      labelNames: ['type', 'outcome'] as const,
      registers: [registry],
    }),
    handlerSeconds,
    handlerFailures,
    occurredToHandled,
    receivedToHandled,
    verificationSeconds,
    jwksFetches,
    lastSuccess,
    lastFailure,
    collectErrors,

    /** For createHandlerRegistry({ onHandlerDone }). */
    observeHandler(report: HandlerRunReport): void {
      handlerSeconds.observe({ handler: report.handler }, report.seconds);
      if (report.failed) handlerFailures.inc({ handler: report.handler });
    },

    /** For the worker: every handler of `event` succeeded at `handledAtMs`. */
    observeHandled(event: Pick<EventOf, 'provider' | 'occurredAt' | 'receivedAt'>, handledAtMs = Date.now()): void {
      const since = (iso: string) => Math.max(0, (handledAtMs - Date.parse(iso)) / 1000);
      const occurred = since(event.occurredAt);
      const received = since(event.receivedAt);
      if (Number.isFinite(occurred)) occurredToHandled.observe({ provider: event.provider }, occurred);
      if (Number.isFinite(received)) receivedToHandled.observe({ provider: event.provider }, received);
    },

    /** From the onResponse hook: keeps the last-success and last-failure timestamps of `endpoint`. */
    observeAnswer(endpoint: string, statusCode: number, atMs = Date.now()): void {
      if (statusCode >= 200 && statusCode < 300) lastSuccess.set({ endpoint }, atMs / 1000);
      else if (statusCode >= 500) lastFailure.set({ endpoint }, atMs / 1000);
    },

    /**
     * Times a webhook's authentication. Outcome: `valid`, `refused` (the sender's fault, 4xx) or
     * `unavailable` (ours, e.g. the JWKS could not be fetched). Works for sync and async checks.
     */
    timeVerification<T>(provider: 'kakao' | 'logto', verify: () => T): T {
      const end = verificationSeconds.startTimer({ provider });
      const failed = (error: unknown) => {
        const status = error instanceof ReceiverError ? error.statusCode : 500;
        end({ outcome: status < 500 ? 'refused' : 'unavailable' });
        throw error;
      };
      let result: T;
      try {
        result = verify();
      } catch (error) {
        return failed(error);
      }
      if (result instanceof Promise) {
        return result.then((value: unknown) => {
          end({ outcome: 'valid' });
          return value;
        }, failed) as T;
      }
      end({ outcome: 'valid' });
      return result;
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
