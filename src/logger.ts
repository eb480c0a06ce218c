import { pino, type Logger } from 'pino';

/**
 * One pino logger for the process. Secrets never reach the log: the headers that carry them are
 * redacted wherever a request is logged.
 *
 * By default it writes each line to stdout synchronously, as pino and Fastify do by default. An
 * asynchronous write is a job for libuv's thread pool, which the signature checks also use: at
 * saturation the first line of every burst woke a pool thread, and the receiver made 0.55-0.7
 * context switches per request instead of 0.27 (the floor without logging), for no throughput in
 * return (bench/cpu-per-request.ts). Synchronous lines are never lost when the process dies; the
 * price is that a stdout which stops reading (a stalled log collector) stalls the process.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: {
        paths: ['req.headers.authorization', 'req.headers["logto-signature-sha-256"]', 'headers.authorization'],
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
