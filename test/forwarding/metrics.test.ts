import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { AttemptOutcome } from '../../src/forwarding/deliver.js';
import { createForwardingMetrics } from '../../src/forwarding/metrics.js';

const DELIVERIES = 'webhook_forward_deliveries_total';
const ATTEMPTS = 'webhook_forward_attempt_duration_seconds';

async function valueOf(registry: Registry, metricName: string, labels: Record<string, string>): Promise<number | undefined> {
  for (const metric of await registry.getMetricsAsJSON()) {
    for (const value of metric.values as { metricName?: string; labels: Record<string, string | number>; value: number }[]) {
      const name = value.metricName ?? metric.name;
      if (name !== metricName) continue;
      if (Object.entries(labels).every(([key, expected]) => String(value.labels[key]) === expected) && Object.keys(value.labels).length === Object.keys(labels).length) {
        return value.value;
      }
    }
  }
  return undefined;
}

function setUp() {
  const registry = new Registry();
  return { registry, metrics: createForwardingMetrics(registry) };
}

describe('createForwardingMetrics', () => {
  it('registers both metrics on the given registry only', async () => {
    const { registry } = setUp();
    const names = (await registry.getMetricsAsJSON()).map((metric) => metric.name).sort();
    expect(names).toEqual([ATTEMPTS, DELIVERIES]);
    // A second registry can have its own (no clash in the global one).
    expect(() => setUp()).not.toThrow();
  });

  it('counts a delivered attempt as a delivery and observes its duration', async () => {
    const { registry, metrics } = setUp();
    metrics.observeAttempt({ target: 'app', outcome: 'delivered', seconds: 0.2, final: true });
    expect(await valueOf(registry, DELIVERIES, { target: 'app', result: 'delivered' })).toBe(1);
    expect(await valueOf(registry, DELIVERIES, { target: 'app', result: 'failed' })).toBeUndefined();
    expect(await valueOf(registry, `${ATTEMPTS}_count`, { target: 'app', outcome: 'delivered' })).toBe(1);
    expect(await valueOf(registry, `${ATTEMPTS}_sum`, { target: 'app', outcome: 'delivered' })).toBeCloseTo(0.2);
    expect(await valueOf(registry, `${ATTEMPTS}_bucket`, { target: 'app', outcome: 'delivered', le: '0.25' })).toBe(1);
    expect(await valueOf(registry, `${ATTEMPTS}_bucket`, { target: 'app', outcome: 'delivered', le: '0.1' })).toBe(0);
  });

  it('a retryable failure that is not the last attempt only observes the attempt', async () => {
    const { registry, metrics } = setUp();
    metrics.observeAttempt({ target: 'app', outcome: 'server_error', seconds: 0.05, final: false });
    metrics.observeAttempt({ target: 'app', outcome: 'timeout', seconds: 10, final: false });
    expect(await valueOf(registry, `${ATTEMPTS}_count`, { target: 'app', outcome: 'server_error' })).toBe(1);
    expect(await valueOf(registry, `${ATTEMPTS}_count`, { target: 'app', outcome: 'timeout' })).toBe(1);
    expect(await valueOf(registry, DELIVERIES, { target: 'app', result: 'failed' })).toBeUndefined();
    expect(await valueOf(registry, DELIVERIES, { target: 'app', result: 'delivered' })).toBeUndefined();
  });

  it.each<AttemptOutcome>(['rejected', 'redirected', 'server_error', 'rate_limited', 'timeout', 'connection_error'])('a final %s attempt counts a failed delivery', async (outcome) => {
    const { registry, metrics } = setUp();
    metrics.observeAttempt({ target: 'audit', outcome, seconds: 0.01, final: true });
    expect(await valueOf(registry, DELIVERIES, { target: 'audit', result: 'failed' })).toBe(1);
    expect(await valueOf(registry, DELIVERIES, { target: 'audit', result: 'delivered' })).toBeUndefined();
    expect(await valueOf(registry, `${ATTEMPTS}_count`, { target: 'audit', outcome })).toBe(1);
  });

  it('keeps targets and outcomes apart', async () => {
    const { registry, metrics } = setUp();
    metrics.observeAttempt({ target: 'app', outcome: 'rate_limited', seconds: 0.01, final: false });
    metrics.observeAttempt({ target: 'app', outcome: 'delivered', seconds: 0.01, final: true });
    metrics.observeAttempt({ target: 'app', outcome: 'delivered', seconds: 0.01, final: true });
    metrics.observeAttempt({ target: 'audit', outcome: 'connection_error', seconds: 0.01, final: true });
    expect(await valueOf(registry, DELIVERIES, { target: 'app', result: 'delivered' })).toBe(2);
    expect(await valueOf(registry, DELIVERIES, { target: 'audit', result: 'failed' })).toBe(1);
    expect(await valueOf(registry, DELIVERIES, { target: 'audit', result: 'delivered' })).toBeUndefined();
    expect(await valueOf(registry, `${ATTEMPTS}_count`, { target: 'app', outcome: 'delivered' })).toBe(2);
    expect(await valueOf(registry, `${ATTEMPTS}_count`, { target: 'app', outcome: 'rate_limited' })).toBe(1);
    expect(await valueOf(registry, `${ATTEMPTS}_count`, { target: 'audit', outcome: 'connection_error' })).toBe(1);
    const text = await registry.getSingleMetricAsString(DELIVERIES);
    expect(text).toContain('webhook_forward_deliveries_total{target="app",result="delivered"} 2');
    expect(await registry.getSingleMetricAsString(ATTEMPTS)).toContain('webhook_forward_attempt_duration_seconds_count{target="app",outcome="rate_limited"} 1');
  });
});
