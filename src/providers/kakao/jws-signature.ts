import { constants, KeyObject, verify, type VerifyKeyObjectInput } from 'node:crypto';
import type { CryptoKey } from 'jose';

/**
 * Verifies a JWS signature with node:crypto on libuv's thread pool. jose verifies through
 * WebCrypto, which on Node 20 costs the event loop several times more per RS256 token than
 * node:crypto's callback form; jose still fetches, validates and imports the key set, and each
 * key is turned into a KeyObject once (cached per imported key, so once per JWKS refresh).
 */
const keyObjects = new WeakMap<CryptoKey, KeyObject>();

function keyObjectOf(key: CryptoKey): KeyObject {
  let object = keyObjects.get(key);
  if (!object) {
    object = KeyObject.from(key as Parameters<typeof KeyObject.from>[0]);
    keyObjects.set(key, object);
  }
  return object;
}

const CURVES: Record<string, string> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };

/**
 * node:crypto's digest and options per JWS algorithm (RFC 7518 section 3, RFC 8037), or undefined
 * when the key is not of the algorithm's type: node:crypto picks the scheme from the key, so an
 * RSA key would verify an "ES256" token as RS256 if we did not check.
 */
function paramsOf(alg: string, key: KeyObject): { digest: string | null; input: VerifyKeyObjectInput } | undefined {
  const type = key.asymmetricKeyType;
  const bits = alg.slice(2);
  switch (alg.slice(0, 2)) {
    case 'RS':
      return type === 'rsa' ? { digest: `sha${bits}`, input: { key, padding: constants.RSA_PKCS1_PADDING } } : undefined;
    case 'PS':
      return type === 'rsa' || type === 'rsa-pss'
        ? { digest: `sha${bits}`, input: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST } }
        : undefined;
    case 'ES':
      // JWS carries ECDSA signatures as R || S, not DER.
      return type === 'ec' && key.asymmetricKeyDetails?.namedCurve === CURVES[alg]
        ? { digest: `sha${bits}`, input: { key, dsaEncoding: 'ieee-p1363' } }
        : undefined;
    case 'Ed':
      return (alg === 'EdDSA' && (type === 'ed25519' || type === 'ed448')) || (alg === 'Ed25519' && type === 'ed25519')
        ? { digest: null, input: { key } }
        : undefined;
    default:
      return undefined;
  }
}

/**
 * True when `signature` (base64url) signs `signingInput` (the token's `header.payload`) under
 * `key` with `alg`. False for a wrong or malformed signature; never throws for the token's sake.
 */
export function verifyJwsSignature(alg: string, key: CryptoKey, signingInput: string, signature: string): Promise<boolean> {
  const params = paramsOf(alg, keyObjectOf(key));
  if (!params) return Promise.resolve(false);
  const bytes = Buffer.from(signature, 'base64url');
  return new Promise((resolve) => {
    try {
      verify(params.digest, Buffer.from(signingInput, 'latin1'), params.input, bytes, (error, ok) => resolve(!error && ok));
    } catch {
      // e.g. a key type that does not fit the algorithm: not a valid signature under this key.
      resolve(false);
    }
  });
}
