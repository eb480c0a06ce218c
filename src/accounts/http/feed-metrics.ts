import { Counter, Gauge, type Registry } from 'prom-client';
import type { DropReason } from './feed-writer.js';
import type { SlotRefusal } from './stream-slots.js';

/**
 * The change feed's metrics, registered on the process's registry:
 * - account_change_streams_open: streams this process holds now;
 * - account_change_streams_refused_total{reason}: 429s, `token_limit` or `process_limit`;
 * - account_change_streams_dropped_total{reason}: streams ended because their reader fell behind,
 *   `buffer` (CHANGE_FEED_MAX_BUFFER_BYTES) or `drain` (CHANGE_FEED_DRAIN_TIMEOUT_MS).
 */
export function createChangeFeedMetrics(registry: Registry, openStreams: () => number) {
  new Gauge({
    name: 'account_change_streams_open',
    help: 'Change feed streams (GET /v1/accounts/changes) this process holds open',
    registers: [registry],
    collect() {
      this.set(openStreams());
    },
  });
  const refused = new Counter({
    name: 'account_change_streams_refused_total',
    help: 'Change feed streams refused with 429, by reason: token_limit (CHANGE_FEED_MAX_STREAMS_PER_TOKEN) or process_limit (CHANGE_FEED_MAX_STREAMS)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const dropped = new Counter({
    name: 'account_change_streams_dropped_total',
    help: 'Change feed streams ended because their reader fell behind, by reason: buffer (CHANGE_FEED_MAX_BUFFER_BYTES) or drain (CHANGE_FEED_DRAIN_TIMEOUT_MS)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  return {
    refused: (reason: SlotRefusal) => refused.inc({ reason }),
    dropped: (reason: DropReason) => dropped.inc({ reason }),
  };
}

export type ChangeFeedMetrics = ReturnType<typeof createChangeFeedMetrics>;
