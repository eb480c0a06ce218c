import { pino, type Logger } from 'pino';

/**
 * One pino logger for the process. Secrets never reach the log: the headers that carry them are
 * redacted wherever a request is logged.
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
    destination,
  );
}
