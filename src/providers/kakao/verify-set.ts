import { errors, type CryptoKey, type FlattenedJWSInput, type JWSHeaderParameters, type ProtectedHeaderParameters } from 'jose';
import { z } from 'zod';
import { ReceiverError, rejected } from '../../errors.js';
import { describeIssues, MAX_JSON_DEPTH, valueNestsDeeperThan } from '../read-payload.js';
import { verifyJwsSignature } from './jws-signature.js';
import { checkRegisteredClaims, decodeClaims, decodeJsonSegment } from './registered-claims.js';

/**
 * Verifies a Security Event Token (RFC 8417) pushed per RFC 8935, in the order RFC 8417 section
 * 4 and OpenID SSF 1.0 ask for: cheap header checks first, then the signature (node:crypto, with
 * the key jose resolved from the JWKS), then issuer and audience, then the SET claims. Every
 * failure becomes a ReceiverError whose code maps to one RFC 8935 error.
 */
export type GetKey = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;

export interface VerifySetOptions {
  getKey: GetKey;
  issuer: string;
  audiences: readonly string[];
  algorithms: readonly string[];
  /** How far in the future `iat` may be (clock skew). */
  maxFutureSkewSeconds?: number;
  /**
   * Oldest `iat` accepted. Set to the dedupe window: redeliveries, hours old, pass; a token
   * replayed after its job id was forgotten does not. Unset: no bound.
   */
  maxAgeSeconds?: number;
  now?: () => Date;
  /** Called when a token has no `typ`: accepted, because Kakao's habit is unconfirmed. */
  onMissingTyp?: () => void;
}

const eventClaimsSchema = z.record(z.string().min(1), z.looseObject({}));

/** The claims we rely on; every other claim is kept as sent. */
export const setClaimsSchema = z.looseObject({
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  iat: z.number({ error: 'iat must be a NumericDate' }),
  jti: z.string({ error: 'jti must be a string' }).min(1, 'jti must not be empty'),
  events: eventClaimsSchema.refine((events) => Object.keys(events).length > 0, 'events must hold at least one event'),
  toe: z.number().optional(),
  txn: z.string().optional(),
  /** Written `txm` in some of Kakao's published examples instead of RFC 8417's `txn`. */
  txm: z.string().optional(),
  sub: z.union([z.string(), z.number()]).optional(),
  sub_id: z.looseObject({}).optional(),
});

export type SetClaims = z.output<typeof setClaimsSchema>;

export interface VerifiedSet {
  header: ProtectedHeaderParameters;
  claims: SetClaims;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$/;
const invalid = (message: string, cause?: unknown) => rejected('ERR_SET_INVALID', message, cause);

export async function verifySet(body: string, options: VerifySetOptions): Promise<VerifiedSet> {
  const token = body.trim();
  if (!COMPACT_JWS.test(token)) {
    throw invalid(token.split('.').length === 5 ? 'encrypted SETs (JWE) are not accepted' : 'the body is not a compact JWS');
  }
  const [protectedHeader, encodedPayload, signature] = token.split('.') as [string, string, string];
  const header = decodeHeader(protectedHeader);
  checkHeader(header, options);

  let payload: Record<string, unknown>;
  try {
    const key = await options.getKey(header, { protected: protectedHeader, payload: encodedPayload, signature });
    if (!(await verifyJwsSignature(header.alg!, key, token.slice(0, protectedHeader.length + 1 + encodedPayload.length), signature))) {
      throw new errors.JWSSignatureVerificationFailed();
    }
    payload = decodeClaims(encodedPayload);
    checkRegisteredClaims(payload, {
      issuer: options.issuer,
      audiences: options.audiences,
      requiredClaims: ['iat', 'jti', 'events'],
      now: options.now?.() ?? new Date(),
    });
  } catch (error) {
    throw toReceiverError(error);
  }

  // Checked once the signature holds, on the claims jose already parsed: a deep claim set would
  // only fail later, in the store.
  if (valueNestsDeeperThan(payload, MAX_JSON_DEPTH)) {
    throw invalid(`the claims nest deeper than ${MAX_JSON_DEPTH} levels`);
  }
  const parsed = setClaimsSchema.safeParse(payload);
  if (!parsed.success) {
    throw invalid(describeIssues(parsed.error, '(claims)'), parsed.error);
  }
  const claims = parsed.data;
  const nowSeconds = (options.now?.() ?? new Date()).getTime() / 1000;
  if (claims.iat > nowSeconds + (options.maxFutureSkewSeconds ?? 60)) {
    throw invalid('iat is in the future');
  }
  if (options.maxAgeSeconds !== undefined && claims.iat < nowSeconds - options.maxAgeSeconds) {
    throw invalid('the token is older than this receiver remembers deliveries, so it cannot tell a replay from a redelivery');
  }
  return { header, claims };
}

function decodeHeader(encodedHeader: string): ProtectedHeaderParameters {
  const header = decodeJsonSegment(encodedHeader);
  if (!header) throw invalid('the JWS protected header is not valid base64url JSON');
  return header as ProtectedHeaderParameters;
}

function checkHeader(header: ProtectedHeaderParameters, options: VerifySetOptions): void {
  const alg = header.alg;
  if (typeof alg !== 'string' || !options.algorithms.includes(alg)) {
    // `none` and HMAC algorithms can never be in the allowlist (see config), so they end here too.
    throw invalid(`alg ${JSON.stringify(alg ?? null)} is not accepted`);
  }
  if (header.typ === undefined) {
    options.onMissingTyp?.();
  } else if (normalizeTyp(header.typ) !== 'secevent+jwt') {
    throw invalid('typ must be secevent+jwt');
  }
  if (typeof header.kid !== 'string' || header.kid.length === 0) {
    throw invalid('the JWS header must name the signing key (kid)');
  }
  // RFC 7515 4.1.11: a receiver must refuse critical extensions it does not understand, and this
  // one understands none (RFC 7797's unencoded payload, b64: false, included).
  if (header.crit !== undefined || header.b64 !== undefined) {
    throw invalid('the JWS header uses extensions this receiver does not support (crit, b64)');
  }
}

/** RFC 7515 4.1.9: `application/` may be omitted and media types are case-insensitive. */
function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

/** The one place jose's errors become ours; the original stays as `cause`. */
function toReceiverError(error: unknown): Error {
  if (error instanceof ReceiverError) return error;
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return invalid(`the ${error.claim} claim is missing`, error);
    if (error.claim === 'iss') return rejected('ERR_SET_ISSUER', 'the token was issued by an issuer this endpoint does not accept', error);
    if (error.claim === 'aud') return rejected('ERR_SET_AUDIENCE', 'the token is not addressed to this receiver', error);
    return invalid(`the ${error.claim} claim is invalid`, error);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return rejected('ERR_SET_KEY', 'signature verification failed', error);
  if (error instanceof errors.JWKInvalid || error instanceof errors.JWKSInvalid) {
    return rejected('ERR_SET_KEY', 'the published signing key is not usable', error);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return invalid('alg is not accepted', error);
  if (error instanceof errors.JWTExpired) return invalid('the token has expired (exp)', error);
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid || error instanceof errors.JOSENotSupported) {
    return invalid('the token is malformed', error);
  }
  return error instanceof Error ? error : new Error(String(error));
}
