import { createLocalJWKSet, createRemoteJWKSet, errors, type CryptoKey, type FlattenedJWSInput, type JWSHeaderParameters } from 'jose';
import type { Logger } from 'pino';
import { rejected, unavailable } from '../../errors.js';
import type { JwksFetchOutcome } from '../../metrics.js';
import { verifyJwsSignature } from './jws-signature.js';
import type { GetKey } from './verify-set.js';

export interface JwksOptions {
  uri: string;
  timeoutMs: number;
  cooldownMs: number;
  cacheMaxAgeMs: number;
}

export interface KeyResolver {
  getKey: GetKey;
  /**
   * Fetches the JWKS now, so the first event does not pay for it, and from then on refreshes it
   * in the background before it goes stale. Never throws.
   */
  warmUp(): Promise<boolean>;
  /** True once a key set has been fetched (readiness: the endpoint can verify tokens). */
  hasKeys(): boolean;
  /** Stops the background refresh. Call on shutdown. */
  close(): void;
  /** Epoch ms when the key set in use was fetched; undefined before the first successful fetch. */
  lastFetchedAt(): number | undefined;
}

export interface KeyResolverHooks {
  /** Told how each fetch of the JWKS ended (for webhook_jwks_fetches_total). */
  onFetch?: (outcome: JwksFetchOutcome) => void;
}

type KeySet = ReturnType<typeof createLocalJWKSet>;

/**
 * Resolves a SET's signing key from the issuer's JWKS. jose's remote set does the fetching
 * (timeout, one request at a time, validation of the set); the policy is ours, and we call
 * `reload()` ourselves so every error's origin is known: a reload failure means "we could not
 * look", anything from the key lookup is about the published keys.
 * - A token is refused as `invalid_key` only when a fresh fetch shows its kid is absent. During
 *   the refetch cooldown, or when the JWKS cannot be fetched, it is a 503 that makes Kakao retry,
 *   so a key rotation never loses an event.
 * - When the cache is stale and the refetch fails, the cached keys keep verifying.
 * - A published key we cannot use is the issuer's or our problem, not the token's: 503.
 */
export function createKeyResolver(options: JwksOptions, log: Logger, hooks: KeyResolverHooks = {}): KeyResolver {
  const remote = createRemoteJWKSet(new URL(options.uri), {
    timeoutDuration: options.timeoutMs,
    cooldownDuration: options.cooldownMs,
    cacheMaxAge: options.cacheMaxAgeMs,
  });
  const retryAfter = () => Math.max(1, Math.ceil(options.cooldownMs / 1000));
  const down = (message: string, cause?: unknown) => unavailable('ERR_JWKS_UNAVAILABLE', message, retryAfter(), cause);
  // After a failed fetch, requests do not each wait timeoutMs on a JWKS that is probably still
  // down. Capped by the cooldown, so JWKS_COOLDOWN_MS=0 (refetch whenever needed) stays exactly that.
  const backoffMs = Math.min(options.cooldownMs, 5000);

  let keys: KeySet | undefined; // the last set fetched, kept even when stale
  // The key each (alg, kid) resolved to in `keys`, which is all jose's choice depends on for a
  // compact token: a request for a known key skips jose's search of the set. Emptied with `keys`.
  let resolved = new Map<string, CryptoKey>();
  let fetchedAt: number | undefined;
  let failedAt = -Infinity;
  let pending: Promise<boolean> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  /** Fetches the JWKS unless a fetch failed moments ago. Resolves whether it now holds fresh keys. */
  function refetch(): Promise<boolean> {
    if (Date.now() < failedAt + backoffMs) return Promise.resolve(false);
    pending ??= remote
      .reload()
      .then(
        () => {
          keys = createLocalJWKSet(remote.jwks()!);
          resolved = new Map();
          fetchedAt = Date.now();
          hooks.onFetch?.('success');
          return true;
        },
        (error: unknown) => {
          // Fetch failures only (timeout, non-200, bad JSON, malformed set, network): one log line
          // per failed fetch, however many requests were waiting on it.
          failedAt = Date.now();
          hooks.onFetch?.(fetchOutcomeOf(error));
          log.warn({ err: error, jwksUri: options.uri }, keys ? 'JWKS fetch failed; the cached keys stay in use' : 'JWKS fetch failed; no keys cached');
          return false;
        },
      )
      .finally(() => {
        pending = undefined;
      });
    return pending;
  }

  const getKey: GetKey = async (header, token) => {
    // undefined: this request did not fetch. A stale cache is refreshed first; if that fails,
    // the keys we had are still the issuer's best-known keys.
    let fetched = remote.fresh ? undefined : await refetch();
    if (!keys) throw down('the issuer JWKS could not be fetched');
    const known = resolved.get(`${header.alg} ${header.kid}`);
    if (known) return known;
    try {
      return await pick(keys, header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
    }
    if (fetched === undefined) {
      if (remote.coolingDown) {
        throw unavailable('ERR_JWKS_UNKNOWN_KID', 'signing key not in the cached JWKS; refetch is cooling down', retryAfter());
      }
      fetched = await refetch();
    }
    if (!fetched) throw down('signing key not in the cached JWKS; the JWKS could not be fetched');
    try {
      return await pick(keys, header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey) {
        throw rejected('ERR_SET_KEY', 'the token is signed with a key the issuer does not publish', error);
      }
      throw error;
    }
  };

  return {
    getKey,
    hasKeys: () => keys !== undefined,
    lastFetchedAt: () => fetchedAt,
    async warmUp() {
      const ok = await refetch();
      if (!ok) log.error({ jwksUri: options.uri }, 'could not fetch the Kakao JWKS at start-up; retrying every few seconds, and on the first event');
      // Refreshing every half cacheMaxAge keeps the cache fresh, so a request rarely waits on a
      // fetch. At most once a second, whatever the setting. Until a first set has been fetched,
      // every few seconds instead: a receiver without keys is unready and gets no request that
      // would fetch them. unref: it never keeps the process up.
      const schedule = () => {
        const delay = keys ? Math.max(options.cacheMaxAgeMs / 2, 1000) : Math.max(backoffMs, 1000);
        timer = setTimeout(() => void refetch().finally(() => !stopped && schedule()), delay).unref();
      };
      if (!timer && !stopped) schedule();
      return ok;
    },
    close() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
    },
  };

  /** The header's key in `set`; JWKSNoMatchingKey passes through for the caller to judge. */
  async function pick(set: KeySet, header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> {
    let key: CryptoKey;
    try {
      key = await set(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey) throw error;
      if (error instanceof errors.JWKSMultipleMatchingKeys) return pickBySignature(error, header, token);
      // The one matching key did not import (JWKInvalid, JOSENotSupported, WebCrypto's DataError).
      throw down('a published signing key could not be imported', error);
    }
    // WebCrypto imports an RSA key with a garbage modulus, and jose then refuses it at
    // verification with a bare TypeError (a 500). Same as a key that does not import.
    const { modulusLength } = key.algorithm as { modulusLength?: number };
    if (modulusLength !== undefined && modulusLength < 2048) throw down('a published RSA signing key is shorter than 2048 bits');
    // Only a key that is the one match is remembered: where several match, the signature picks.
    if (set === keys) resolved.set(`${header.alg} ${header.kid}`, key);
    return key;
  }

  /**
   * Several published keys match the kid and alg (e.g. mid-rotation). jose 6 leaves the choice to
   * us: the error iterates the candidates that import, once. The first that verifies the
   * signature is the key (verifySet then verifies with it again; cheap next to a rare case).
   */
  async function pickBySignature(error: errors.JWKSMultipleMatchingKeys, header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> {
    let imported = 0;
    for await (const candidate of error) {
      imported += 1;
      if (await verifyJwsSignature(String(header.alg), candidate, `${token.protected}.${token.payload}`, token.signature)) return candidate;
    }
    if (imported === 0) throw down('none of the published keys for this kid could be imported', error);
    throw rejected('ERR_SET_KEY', 'signature verification failed', error);
  }
}

/** A failed fetch's outcome label, from jose's errors. */
function fetchOutcomeOf(error: unknown): JwksFetchOutcome {
  if (error instanceof errors.JWKSTimeout) return 'timeout';
  if (error instanceof errors.JWKSInvalid) return 'invalid';
  if (error instanceof errors.JOSEError && /Expected 200 OK/.test(error.message)) return 'http_error';
  if (error instanceof errors.JOSEError && /parse/.test(error.message)) return 'invalid';
  return 'error';
}
