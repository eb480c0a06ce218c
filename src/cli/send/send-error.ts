/**
 * Why `send` could not deliver a test event, or why the receiver did not take it: reported as
 * one line without a stack trace, exit code 1. `code` is stable, for scripts and tests.
 */
export type SendErrorCode =
  | 'ERR_SEND_UNREACHABLE' // no answer from the target (nothing listens, DNS, timeout)
  | 'ERR_SEND_REFUSED'; // the receiver answered, but not 2xx

export class SendError extends Error {
  readonly exitCode = 1;
  constructor(
    readonly code: SendErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SendError';
  }
}
