import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Whether a presented secret equals any of `secrets`, in constant time: both sides are hashed to
 * equal-length SHA-256 digests before timingSafeEqual (which refuses unequal lengths, and a
 * length check would leak the secret's length), and every secret is compared without early exit,
 * so the time taken says neither whether nor which one matched. Nothing presented is hashed too,
 * so a malformed header costs the same.
 */
export function createSecretMatcher(secrets: readonly string[]): (presented: string | undefined) => boolean {
  const expected = secrets.map(digest);
  return (presented) => {
    const actual = digest(presented ?? '');
    let matched = false;
    for (const secret of expected) matched = timingSafeEqual(secret, actual) || matched;
    return presented !== undefined && matched;
  };
}
