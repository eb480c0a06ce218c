import { pino, type Logger } from 'pino';

/**
 * One pino logger for the process. Secrets never reach the log: the headers that carry them are
 * redacted wherever a request is logged. By default it writes to stdout asynchronously: lines
 * written while a write is under way go out together in the next one, instead of one blocking
 * write per line; pino flushes what is left when the process exits.
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
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
