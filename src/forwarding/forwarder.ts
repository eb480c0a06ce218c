import type { AccountChange } from '../accounts/model.js';
import type { EventOf } from '../events/catalog.js';
import type { JobQueue, QueueBackend } from '../queue/backend.js';
import type { ForwardingConfig, ForwardTarget } from './config.js';
import { compileEventFilter } from './event-filter.js';
import { forwardedEvent } from './payload.js';
import { forwardJobOptions, forwardQueueName } from './queues.js';

export interface ForwarderOptions {
  backend: QueueBackend;
  eventQueueName: string;
  config: ForwardingConfig;
  /** A delivery job made twice for one event inside this window (a retried event job) is made once. */
  dedupeWindowSeconds: number;
  failedRetentionSeconds: number;
}

/** The enqueueing side of forwarding: one delivery job per matching target, stored before the event's job completes. */
export interface Forwarder {
  /** The names of the targets that want this event type. */
  targetsFor(type: string): string[];
  /** Stores one delivery job per matching target; resolves when all are stored. */
  enqueue(event: EventOf, accountChange: AccountChange | null | undefined): Promise<void>;
  close(): Promise<void>;
}

export function createForwarder(options: ForwarderOptions): Forwarder {
  const defaults = forwardJobOptions(options.config, options.failedRetentionSeconds);
  const targets = options.config.targets.map((target: ForwardTarget) => {
    const filter = target.events ? compileEventFilter(target.events) : undefined;
    let queue: JobQueue | undefined;
    return {
      name: target.name,
      wants: (type: string) => !filter || filter.matches(type),
      queue: () => {
        if (!queue) {
          // One connection: each add is one statement, and twenty targets must not take a
          // PostgreSQL server's hundred connections.
          queue = options.backend.createQueue(forwardQueueName(options.eventQueueName, target.name), defaults, { connections: 1 });
          queue.on('error', () => {}); // surfaced through add(): the event's job fails and retries
        }
        return queue;
      },
      close: () => queue?.close(),
    };
  });

  return {
    targetsFor(type) {
      return targets.filter((target) => target.wants(type)).map((target) => target.name);
    },
    async enqueue(event, accountChange) {
      const payload = forwardedEvent(event, accountChange);
      await Promise.all(
        targets
          .filter((target) => target.wants(event.type))
          .map((target) =>
            target.queue().add(event.type, payload, {
              // The event id is the job id in every target's queue, and BullMQ's throttle-mode
              // deduplication remembers it after the job is delivered and removed: a redelivered
              // event or a retried event job forwards once.
              jobId: event.id,
              deduplication: { id: event.id, ttl: options.dedupeWindowSeconds * 1000 },
            }),
          ),
      );
    },
    async close() {
      await Promise.all(targets.map((target) => target.close()));
    },
  };
}
