/** Development mode cannot start as asked; src/dev/main.ts prints the message and exits 1. */
export type DevModeErrorCode = 'ERR_DEV_MODE_IN_PRODUCTION';

export class DevModeError extends Error {
  constructor(
    readonly code: DevModeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DevModeError';
  }
}
