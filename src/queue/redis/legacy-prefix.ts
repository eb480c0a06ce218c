import type { Logger } from 'pino';
import type { RedisConfig } from './config.js';
import type { RedisClient } from './connection.js';

/** BullMQ's own default prefix, which versions of this service before QUEUE_PREFIX used. */
const LEGACY_PREFIX = 'bull';
/** The keys that hold a queue's jobs, by state. */
const JOB_LISTS = ['wait', 'active', 'delayed', 'failed', 'prioritized', 'paused'];

/**
 * Earlier versions kept their queues under BullMQ's default prefix `bull`. A deployment that
 * upgrades without setting QUEUE_PREFIX=bull would leave the jobs stored there (waiting, delayed,
 * failed) unseen, so once the store answers, a queue that still has jobs under the old prefix is
 * reported, with what to do, once per queue and process. Clusters are not checked: a `bull:`
 * queue never worked on one.
 */
export function warnOfLegacyPrefix(config: RedisConfig, log: Logger): (queueName: string, client: RedisClient) => void {
  const checked = new Set<string>();
  return (queueName, client) => {
    if (config.prefix === LEGACY_PREFIX || config.topology.kind === 'cluster' || checked.has(queueName)) return;
    checked.add(queueName);
    const check = async () => {
      const lists = await Promise.all(JOB_LISTS.map((state) => client.exists(`${LEGACY_PREFIX}:${queueName}:${state}`)));
      const states = JOB_LISTS.filter((_, index) => lists[index] === 1);
      if (states.length === 0) return;
      log.error(
        { queue: queueName, prefix: config.prefix, oldPrefix: LEGACY_PREFIX, states },
        `queue ${queueName} still has jobs under the prefix "${LEGACY_PREFIX}" that earlier versions used, and this process uses "${config.prefix}": ` +
          `set QUEUE_PREFIX=${LEGACY_PREFIX} on every process to keep them (single node and Sentinel), or let them drain with the old version first (README: Upgrading)`,
      );
    };
    const run = () => void check().catch(() => {});
    if (client.status === 'ready') run();
    else client.once('ready', run);
  };
}
