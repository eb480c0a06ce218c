import { errors } from 'jose';

/**
 * The JWT claims checks jose's jwtVerify would make (RFC 7519 section 4.1), for a token whose
 * signature is verified with node:crypto instead: the same order and the same jose error classes,
 * so verify-set.ts maps every failure to one RFC 8935 error in one place.
 */
export interface RegisteredClaimsOptions {
  issuer: string;
  audiences: readonly string[];
  requiredClaims: readonly string[];
  now: Date;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The payload as a JSON object; anything else (bad base64url, bad UTF-8, not an object) is malformed. */
export function decodeClaims(encodedPayload: string): Record<string, unknown> {
  let claims: unknown;
  try {
    claims = JSON.parse(strictUtf8.decode(Buffer.from(encodedPayload, 'base64url')));
  } catch (cause) {
    throw new errors.JWTInvalid('JWT Claims Set must be a top-level JSON object', { cause });
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw new errors.JWTInvalid('JWT Claims Set must be a top-level JSON object');
  }
  return claims as Record<string, unknown>;
}

const failed = (claims: Record<string, unknown>, claim: string, reason = 'check_failed') =>
  new errors.JWTClaimValidationFailed(`unexpected "${claim}" claim value`, claims, claim, reason);

export function checkRegisteredClaims(claims: Record<string, unknown>, options: RegisteredClaimsOptions): void {
  for (const claim of ['iss', 'aud', ...options.requiredClaims]) {
    if (!Object.hasOwn(claims, claim)) throw failed(claims, claim, 'missing');
  }
  if (claims.iss !== options.issuer) throw failed(claims, 'iss');
  const aud = claims.aud;
  const addressed = typeof aud === 'string' ? options.audiences.includes(aud) : Array.isArray(aud) && options.audiences.some((one) => aud.includes(one));
  if (!addressed) throw failed(claims, 'aud');
  const now = Math.floor(options.now.getTime() / 1000);
  for (const claim of ['iat', 'nbf', 'exp']) {
    if (claims[claim] !== undefined && typeof claims[claim] !== 'number') throw failed(claims, claim, 'invalid');
  }
  if (typeof claims.nbf === 'number' && claims.nbf > now) throw failed(claims, 'nbf');
  if (typeof claims.exp === 'number' && claims.exp <= now) {
    throw new errors.JWTExpired('"exp" claim timestamp check failed', claims, 'exp', 'check_failed');
  }
}
