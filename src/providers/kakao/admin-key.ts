import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Checks `Authorization: KakaoAK <primary admin key>` (Kakao's webhook docs: the app's primary admin key) against every
 * configured key, for rotation. Constant time: both sides are hashed to equal-length SHA-256
 * digests before timingSafeEqual (which refuses unequal lengths, and a length check would leak
 * the key's length), and every key is compared, without early exit, so the time taken says
 * neither whether nor which key matched.
 */
export type AdminKeyCheck = (authorization: string | undefined) => boolean;

export function createAdminKeyCheck(keys: readonly string[]): AdminKeyCheck {
  if (keys.length === 0) throw new TypeError('createAdminKeyCheck needs at least one admin key');
  const expected = keys.map(digest);
  return (authorization) => {
    const presented = kakaoAkKey(authorization);
    // Hash even when nothing usable was presented, so a malformed header costs the same.
    const actual = digest(presented ?? '');
    let matched = false;
    for (const key of expected) matched = timingSafeEqual(key, actual) || matched;
    return presented !== undefined && matched;
  };
}

/** The key of a `KakaoAK <key>` header; the scheme is case-insensitive (RFC 9110 11.1). */
export function kakaoAkKey(authorization: string | undefined): string | undefined {
  const match = /^kakaoak[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
  return match?.[1];
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
