import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics, one registry per process (and per app in tests), served at GET /metrics. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
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
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
