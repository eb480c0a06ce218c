import { createSecretMatcher } from '../../secret-match.js';

/**
 * Checks `Authorization: KakaoAK <primary admin key>` (Kakao's webhook docs: the app's primary
 * admin key) against every configured key, for rotation, in constant time (secret-match.ts).
 */
export type AdminKeyCheck = (authorization: string | undefined) => boolean;

export function createAdminKeyCheck(keys: readonly string[]): AdminKeyCheck {
  if (keys.length === 0) throw new TypeError('createAdminKeyCheck needs at least one admin key');
  const matches = createSecretMatcher(keys);
  return (authorization) => matches(kakaoAkKey(authorization));
}

/** The key of a `KakaoAK <key>` header; the scheme is case-insensitive (RFC 9110 11.1). */
export function kakaoAkKey(authorization: string | undefined): string | undefined {
  const match = /^kakaoak[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
  return match?.[1];
}

