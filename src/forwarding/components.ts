import { WORKER_ROLES, type Component } from '../composition/component.js';
import type { ForwardTarget } from './config.js';
import { createDeliveryWorkers } from './delivery-workers.js';
import { createForwarder, type Forwarder } from './forwarder.js';
import { createForwardingMetrics } from './metrics.js';

declare module '../composition/component.js' {
  interface Services {
    /** Present when forwarding targets are configured (FORWARD_URL or FORWARD_TARGETS). */
    forwarder: Forwarder;
  }
}

/** The enqueueing side: one delivery job per matching target, made by the forward handler. */
export const forwarderComponent: Component = {
  name: 'forwarder',
  roles: WORKER_ROLES,
  start({ config, use }) {
    if (!config.forwarding) return;
    const forwarder = createForwarder({
      backend: use('backend'),
      eventQueueName: config.queue.name,
      config: config.forwarding,
      dedupeWindowSeconds: config.queue.dedupeWindowSeconds,
      failedRetentionSeconds: config.queue.failedRetentionSeconds,
    });
    return { provides: { forwarder }, close: () => forwarder.close() };
  },
};

/**
 * One delivery worker per target, started with the event worker once the store answers. Closing
 * lets deliveries in flight finish; one still in flight after 2 s is abandoned and retried later.
 */
export const deliveriesComponent: Component = {
  name: 'forwarding-deliveries',
  roles: WORKER_ROLES,
  start({ config, logger, metrics, use }) {
    const forwarding = config.forwarding;
    if (!forwarding) return;
    const log = logger.child({ component: 'forward' });
    log.info({ targets: forwarding.targets.map(targetForLog) }, describeTargets(forwarding.targets));
    let deliveries: ReturnType<typeof createDeliveryWorkers> | undefined;
    const started = (async () => {
      if (!(await use('storeAnswered')())) return;
      const forwardingMetrics = createForwardingMetrics(metrics.registry);
      deliveries = createDeliveryWorkers({
        backend: use('backend'),
        eventQueueName: config.queue.name,
        config: forwarding,
        log,
        lockDurationMs: config.queue.lockDurationMs,
        onAttempt: (report) => forwardingMetrics.observeAttempt(report),
      });
    })();
    return {
      async close() {
        await started;
        await deliveries?.close();
      },
    };
  },
};

/**
 * A target's URL as the start-up log shows it: scheme, host and port. The path, query string and
 * fragment are left out, as is any user:password@ part: applications put tokens in them (a
 * Slack-style URL is a secret path).
 */
const urlForLog = (url: string): string => new URL(url).origin;

/** What the start-up log says of a target; never its secrets. */
function targetForLog(target: ForwardTarget) {
  return { name: target.name, url: urlForLog(target.url), events: target.events ?? ['*'] };
}

/** `forwarding events to 2 targets: app at https://app.example.com (every event); crm at ...` */
function describeTargets(targets: readonly ForwardTarget[]): string {
  const each = targets.map((target) => `${target.name} at ${urlForLog(target.url)} (${target.events ? target.events.join(', ') : 'every event'})`);
  return `forwarding events to ${targets.length} ${targets.length === 1 ? 'target' : 'targets'}: ${each.join('; ')}`;
}
