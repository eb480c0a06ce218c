import { createHmac, timingSafeEqual } from 'node:crypto';
import { rejected } from '../../errors.js';

/** Logto's header: hex(HMAC-SHA256(signing key as UTF-8, body)) (https://docs.logto.io/developers/webhooks/secure-webhooks). */
export const LOGTO_SIGNATURE_HEADER = 'logto-signature-sha-256';

// Released Logto sends bare lowercase hex; one version of its signer prefixes `sha256=`.
// Case is tolerated because hex is case-insensitive.
const SIGNATURE = /^(?:sha256=)?([0-9a-f]{64})$/i;

/**
 * Checks `signature` against the HMAC of the exact body bytes under every configured key, in
 * constant time, and returns the index of the key that matched (for rotation logs). Every key is
 * tried even after a match, so timing does not tell which key verified. The errors say nothing
 * about the expected value.
 */
export function verifyLogtoSignature(body: Buffer, signature: string | string[] | undefined, keys: readonly string[]): number {
  const given = signatureBytes(signature);

  let matched = -1;
  keys.forEach((key, index) => {
    const expected = createHmac('sha256', key).update(body).digest();
    if (expected.length === given.length && timingSafeEqual(expected, given) && matched === -1) matched = index;
  });
  if (matched === -1) {
    throw rejected(
      'ERR_SIGNATURE_INVALID',
      'the signature does not match the body: was it re-serialized on the way, or signed with a key this receiver does not hold?',
      undefined,
      401,
    );
  }
  return matched;
}

/**
 * The signature as bytes; throws 401 when it is missing or not one hex HMAC-SHA256. Cheap enough
 * to run before the body is read, so a request that cannot be signed never makes us buffer it.
 */
export function signatureBytes(signature: string | string[] | undefined): Buffer {
  if (signature === undefined || signature === '') {
    // Hooks created before Logto 1.5 have an empty key and send no header until it is regenerated.
    throw rejected('ERR_SIGNATURE_MISSING', `the ${LOGTO_SIGNATURE_HEADER} header is missing`, undefined, 401);
  }
  const match = typeof signature === 'string' ? SIGNATURE.exec(signature.trim()) : null;
  if (!match) {
    throw rejected('ERR_SIGNATURE_INVALID', `the ${LOGTO_SIGNATURE_HEADER} header must be one 64-digit hex HMAC-SHA256`, undefined, 401);
  }
  return Buffer.from(match[1]!, 'hex');
}
