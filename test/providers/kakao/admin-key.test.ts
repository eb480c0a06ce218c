import { describe, expect, it, vi } from 'vitest';

// Counts timingSafeEqual calls, to show every configured key is compared whatever matches.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});
const { timingSafeEqual } = await import('node:crypto');
const { createAdminKeyCheck, kakaoAkKey } = await import('../../../src/providers/kakao/admin-key.js');

const CURRENT = '0123456789abcdef0123456789abcdef';
const PREVIOUS = 'fedcba9876543210fedcba9876543210';

describe('createAdminKeyCheck', () => {
  const check = createAdminKeyCheck([CURRENT, PREVIOUS]);

  it('accepts every configured key (rotation), with the scheme in any case', () => {
    expect(check(`KakaoAK ${CURRENT}`)).toBe(true);
    expect(check(`KakaoAK ${PREVIOUS}`)).toBe(true);
    expect(check(`kakaoak ${CURRENT}`)).toBe(true);
    expect(check(`KAKAOAK  ${CURRENT} `)).toBe(true);
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['the scheme alone', 'KakaoAK'],
    ['the scheme and a space', 'KakaoAK '],
    ['no space after the scheme', `KakaoAK${CURRENT}`],
    ['another scheme', `Bearer ${CURRENT}`],
    ['the bare key', CURRENT],
    ['a prefix of the key', `KakaoAK ${CURRENT.slice(0, -1)}`],
    ['the key and one character more', `KakaoAK ${CURRENT}0`],
    ['the key in another case', `KakaoAK ${CURRENT.toUpperCase()}`],
    ['the key and more words', `KakaoAK ${CURRENT} ${PREVIOUS}`],
    ['a key we do not hold', `KakaoAK ${'0'.repeat(32)}`],
  ])('refuses %s', (_name, header) => {
    expect(check(header)).toBe(false);
  });

  it('compares against every key, even when the first one matches or nothing usable was sent', () => {
    const spy = vi.mocked(timingSafeEqual);
    for (const header of [`KakaoAK ${CURRENT}`, `KakaoAK ${PREVIOUS}`, undefined, 'garbage']) {
      spy.mockClear();
      check(header);
      expect(spy).toHaveBeenCalledTimes(2);
    }
  });

  it('refuses to be built without keys', () => {
    expect(() => createAdminKeyCheck([])).toThrow(TypeError);
  });
});

describe('kakaoAkKey', () => {
  it('returns the key of a KakaoAK header and nothing for anything else', () => {
    expect(kakaoAkKey(`KakaoAK ${CURRENT}`)).toBe(CURRENT);
    expect(kakaoAkKey(`Basic ${CURRENT}`)).toBeUndefined();
  });
});
