import type { Logger } from 'pino';

/** What an episode needs of a logger: pino's and Fastify's both fit. */
type EpisodeLogger = Pick<Logger, 'error' | 'info'>;

/**
 * Errors that repeat while something is down (a Redis reconnect loop, a worker polling a store
 * that refuses it) are logged as an episode: one line when the first error comes, one line with
 * the count when it is over. An outage of a minute writes two lines, not thousands.
 */
export interface ErrorEpisode {
  /** An error happened; logged only if it starts an episode. */
  fail(error: unknown): void;
  /** Things work again; ends an episode under way, with how many errors it had and how long it lasted. */
  ok(): void;
  /** Errors in the episode under way, 0 when none is. */
  readonly failures: number;
}

export function createErrorEpisode(log: EpisodeLogger, fields: Record<string, unknown>, startMessage: string, endMessage: string): ErrorEpisode {
  let failures = 0;
  let since = 0;
  return {
    fail(error) {
      if (failures === 0) {
        since = Date.now();
        log.error({ ...fields, err: error }, `${startMessage} (repeats are counted, not logged, until it recovers)`);
      }
      failures += 1;
    },
    ok() {
      if (failures === 0) return;
      log.info({ ...fields, errors: failures, seconds: Math.round((Date.now() - since) / 100) / 10 }, endMessage);
      failures = 0;
    },
    get failures() {
      return failures;
    },
  };
}
