import { rejected } from '../../errors.js';
import { logtoEventName, type LogtoEventName, type LogtoPayloadBase } from './events.js';
import { logtoPayloadSchema } from './payload-schemas.js';

export interface ParsedLogtoPayload {
  name: LogtoEventName;
  payload: LogtoPayloadBase;
}

const invalid = (message: string, cause?: unknown) => rejected('ERR_PAYLOAD_INVALID', message, cause);

/**
 * Reads a body whose signature has already been verified: JSON, then the schema of the event it
 * names. Never call it on an unverified body: a 400 would then tell a forger what to fix.
 */
export function parseLogtoPayload(body: Buffer): ParsedLogtoPayload {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw invalid('the body is not valid JSON', error);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw invalid('the body must be a JSON object');
  }
  const event = (json as { event?: unknown }).event;
  const name = typeof event === 'string' ? logtoEventName(event) : 'logto.unknown';
  const result = logtoPayloadSchema(name).safeParse(json);
  if (!result.success) {
    throw invalid(result.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; '), result.error);
  }
  return { name, payload: result.data as LogtoPayloadBase };
}
