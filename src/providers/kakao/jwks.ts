import { createLocalJWKSet, createRemoteJWKSet, errors, type JWTVerifyGetKey } from 'jose';
import type { Logger } from 'pino';
import { rejected, unavailable } from '../../errors.js';

export interface JwksOptions {
  uri: string;
  timeoutMs: number;
  cooldownMs: number;
  cacheMaxAgeMs: number;
}

export interface KeyResolver {
  getKey: JWTVerifyGetKey;
  /** Fetches the JWKS now, so the first event does not pay for it. Never throws. */
  warmUp(): Promise<boolean>;
}

/**
 * Resolves a SET's signing key from the issuer's JWKS, through jose's remote JWKS cache, with the
 * one rule jose leaves to us: a token is refused as `invalid_key` only when a fresh fetch shows
 * its kid is absent. jose answers "no matching key" without fetching while its cooldown runs, and
 * fails outright when a refetch fails; both mean "we could not look", so both become a 503 that
 * makes Kakao retry, and a key rotation never loses an event.
 */
export function createKeyResolver(options: JwksOptions, log: Logger): KeyResolver {
  const remote = createRemoteJWKSet(new URL(options.uri), {
    timeoutDuration: options.timeoutMs,
    cooldownDuration: options.cooldownMs,
    cacheMaxAge: options.cacheMaxAgeMs,
  });
  const retryAfter = () => Math.max(1, Math.ceil(options.cooldownMs / 1000));

  const getKey: JWTVerifyGetKey = async (header, token) => {
    const couldNotRefetch = remote.coolingDown;
    try {
      return await remote(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey) {
        if (couldNotRefetch) {
          throw unavailable('ERR_JWKS_UNAVAILABLE', 'signing key not in the cached JWKS; refetch is cooling down', retryAfter(), error);
        }
        throw rejected('ERR_SET_KEY', 'the token is signed with a key the issuer does not publish', error);
      }
      if (error instanceof errors.JWKSMultipleMatchingKeys) {
        throw rejected('ERR_SET_KEY', 'the token names a kid that matches several published keys', error);
      }
      // The cache went stale and the refetch failed: the keys we had are still the issuer's
      // best-known keys, so verify against them rather than refuse service.
      const cached = remote.jwks();
      if (cached) {
        log.warn({ err: error }, 'JWKS refetch failed; verifying with the cached keys');
        try {
          return await createLocalJWKSet(cached)(header, token);
        } catch (localError) {
          if (!(localError instanceof errors.JWKSNoMatchingKey)) throw localError;
        }
      }
      throw unavailable('ERR_JWKS_UNAVAILABLE', 'the issuer JWKS could not be fetched', retryAfter(), error);
    }
  };

  return {
    getKey,
    async warmUp() {
      try {
        await remote.reload();
        return true;
      } catch (error) {
        log.error({ err: error, jwksUri: options.uri }, 'could not fetch the Kakao JWKS at start-up; will retry on the first event');
        return false;
      }
    },
  };
}
