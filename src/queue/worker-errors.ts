import type { Worker } from 'bullmq';
import type { Logger } from 'pino';
import { createErrorEpisode } from '../error-episode.js';

/**
 * A BullMQ worker emits `error` on every failed poll while its store is down or refuses writes
 * (hundreds a second on a cluster that rejects its scripts). They are logged as an episode: the
 * first error, then the count once the worker fetches or finishes a job again, or finds the queue
 * empty.
 */
export function logErrorEpisodes(worker: Pick<Worker, 'on'>, log: Logger, startMessage: string, endMessage: string): void {
  const episode = createErrorEpisode(log, {}, startMessage, endMessage);
  worker.on('error', (error) => episode.fail(error));
  for (const working of ['active', 'completed', 'drained'] as const) worker.on(working, () => episode.ok());
}
