/**
 * Every failure of the account client: a non-2xx answer (`status` is the HTTP status and `code`
 * the server's `error` code), or no answer at all (`status` 0: the network failed or the request
 * timed out). One type, so that a caller can fail closed on anything it does not expect.
 */
export class AccountClientError extends Error {
  override readonly name = 'AccountClientError';

  constructor(
    /** The HTTP status; 0 when no answer arrived. */
    readonly status: number,
    /** The server's `error` code (`ERR_UNAUTHORIZED`, ...), `ERR_NETWORK`, `ERR_TIMEOUT` or `HTTP_<status>`. */
    readonly code: string,
    message: string,
    /** Seconds, from the Retry-After of a 503 or a 429. */
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Turns a non-2xx response into an AccountClientError, using the server's JSON error body when there is one. */
export async function errorOf(response: Response): Promise<AccountClientError> {
  let code = `HTTP_${response.status}`;
  let message = `the account API answered ${response.status}`;
  try {
    const body = (await response.json()) as { error?: unknown; message?: unknown };
    if (typeof body.error === 'string') code = body.error;
    if (typeof body.message === 'string') message = `${message}: ${body.message}`;
  } catch {
    // Not JSON (a proxy's error page): the status says enough.
  }
  const retryAfter = Number(response.headers.get('retry-after') ?? Number.NaN);
  return new AccountClientError(response.status, code, message, Number.isFinite(retryAfter) ? retryAfter : undefined);
}

/** Wraps what fetch throws (network failure, timeout, the caller's abort) in an AccountClientError. */
export function networkError(error: unknown, what: string): AccountClientError {
  if (error instanceof AccountClientError) return error;
  const timedOut = (error as { name?: string } | null)?.name === 'TimeoutError';
  return new AccountClientError(0, timedOut ? 'ERR_TIMEOUT' : 'ERR_NETWORK', `${what}: ${timedOut ? 'timed out' : String((error as Error)?.message ?? error)}`, undefined, {
    cause: error,
  });
}
