import { rejected } from '../../errors.js';
import { logtoEventName, type LogtoEventName, type LogtoPayloadBase } from './events.js';
import { logtoPayloadSchema } from './payload-schemas.js';
import { describeIssues, parseJsonObject } from '../read-payload.js';

export interface ParsedLogtoPayload {
  name: LogtoEventName;
  payload: LogtoPayloadBase;
}

/**
 * Reads a body whose signature has already been verified: JSON, then the schema of the event it
 * names. Never call it on an unverified body: a 400 would then tell a forger what to fix.
 */
export function parseLogtoPayload(body: Buffer): ParsedLogtoPayload {
  const json = parseJsonObject(body.toString('utf8'));
  const event = json.event;
  const name = typeof event === 'string' ? logtoEventName(event) : 'logto.unknown';
  const result = logtoPayloadSchema(name).safeParse(json);
  if (!result.success) {
    throw rejected('ERR_PAYLOAD_INVALID', describeIssues(result.error, '(body)'), result.error);
  }
  return { name, payload: result.data as LogtoPayloadBase };
}
