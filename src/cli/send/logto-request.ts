import { createHmac } from 'node:crypto';
import type { LogtoEventName } from '../../providers/logto/events.js';
import { LOGTO_WEBHOOK_PATH } from '../../providers/logto/route.js';
import { LOGTO_SIGNATURE_HEADER } from '../../providers/logto/verify-signature.js';
import { deepMerge } from './deep-merge.js';
import { logtoPayload } from './logto-payloads.js';
import { SEND_USER_AGENT, type TestEventInput, type TestRequest } from './test-request.js';

/**
 * A Logto webhook: the payload serialized once, and those exact bytes signed as Logto signs them,
 * hex(HMAC-SHA256(signing key, body)). `--data` merges into the payload: what handlers see as `data`.
 */
export function logtoRequest(name: LogtoEventName, input: TestEventInput, signingKey: string): TestRequest {
  const body = JSON.stringify(deepMerge(logtoPayload(name, input.user, input.now, SEND_USER_AGENT), input.data));
  return {
    method: 'POST',
    path: LOGTO_WEBHOOK_PATH,
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      'user-agent': SEND_USER_AGENT,
      [LOGTO_SIGNATURE_HEADER]: createHmac('sha256', signingKey).update(body).digest('hex'),
    },
    body,
  };
}
