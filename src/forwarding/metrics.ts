import { Counter, Histogram, type Registry } from 'prom-client';
import type { AttemptOutcome } from './deliver.js';

/** One delivery attempt, as the delivery workers report it. */
export interface AttemptReport {
  target: string;
  outcome: AttemptOutcome;
  seconds: number;
  /** The delivery's last attempt: delivered, failed for good, or out of attempts. */
  final: boolean;
}

/**
 * The forwarding metrics, registered on the process's registry. Labels are bounded: target names
 * come from the configuration, outcomes from a fixed set.
 * - webhook_forward_attempt_duration_seconds{target,outcome}: each POST, from connect to answer
 *   (its _count is the attempts by outcome);
 * - webhook_forward_deliveries_total{target,result}: deliveries that ended, `delivered` or
 *   `failed` (in the failed set: refused for good or out of attempts).
 */
export function createForwardingMetrics(registry: Registry) {
  const attemptSeconds = new Histogram({
    name: 'webhook_forward_attempt_duration_seconds',
    help: 'Time one forwarding attempt took, from the request to the answer (or the timeout), by target and outcome (delivered, rate_limited, server_error, timeout, connection_error, rejected, redirected)',
    labelNames: ['target', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const deliveries = new Counter({
    name: 'webhook_forward_deliveries_total',
    help: 'Forwarded events whose delivery ended, by target and result: delivered, or failed (refused for good or out of attempts; in the failed set, see the CLI)',
    labelNames: ['target', 'result'] as const,
    registers: [registry],
  });
  return {
    observeAttempt(report: AttemptReport): void {
      attemptSeconds.observe({ target: report.target, outcome: report.outcome }, report.seconds);
      if (report.outcome === 'delivered') deliveries.inc({ target: report.target, result: 'delivered' });
      else if (report.final) deliveries.inc({ target: report.target, result: 'failed' });
    },
  };
}
