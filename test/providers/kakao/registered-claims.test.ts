import { errors } from 'jose';
import { describe, expect, it } from 'vitest';
import { checkRegisteredClaims, decodeClaims } from '../../../src/providers/kakao/registered-claims.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const now = NOW.getTime() / 1000;
const options = { issuer: 'https://kauth.kakao.com', audiences: ['a', 'b'], requiredClaims: ['iat', 'jti', 'events'], now: NOW };
const good = { iss: 'https://kauth.kakao.com', aud: 'a', iat: now, jti: 'j', events: {} };

function failure(claims: Record<string, unknown>) {
  try {
    checkRegisteredClaims(claims, options);
  } catch (error) {
    return error as errors.JWTClaimValidationFailed;
  }
  return undefined;
}

describe('registered JWT claims (RFC 7519 4.1)', () => {
  it('accepts a claim set that satisfies every check, with aud as a string or an array', () => {
    expect(failure(good)).toBeUndefined();
    expect(failure({ ...good, aud: ['x', 'b'] })).toBeUndefined();
    expect(failure({ ...good, nbf: now, exp: now + 1 })).toBeUndefined();
  });

  it.each([
    ['iss', 'missing'],
    ['aud', 'missing'],
    ['iat', 'missing'],
    ['jti', 'missing'],
    ['events', 'missing'],
  ])('names the missing %s claim', (claim, reason) => {
    const claims: Record<string, unknown> = { ...good };
    delete claims[claim];
    const error = failure(claims);
    expect(error).toBeInstanceOf(errors.JWTClaimValidationFailed);
    expect([error!.claim, error!.reason]).toEqual([claim, reason]);
  });

  it.each([
    ['another issuer', { iss: 'https://kauth.kakao.com.evil' }, 'iss'],
    ['an issuer that is not a string', { iss: ['https://kauth.kakao.com'] }, 'iss'],
    ['another audience', { aud: 'c' }, 'aud'],
    ['an audience list without ours', { aud: ['c', 'd'] }, 'aud'],
    ['an audience that is neither string nor array', { aud: { a: true } }, 'aud'],
    ['iat that is not a number', { iat: '1' }, 'iat'],
    ['nbf in the future', { nbf: now + 1 }, 'nbf'],
    ['nbf that is not a number', { nbf: 'soon' }, 'nbf'],
  ])('refuses %s', (_name, override, claim) => {
    expect(failure({ ...good, ...override })?.claim).toBe(claim);
  });

  it('refuses an expired token as JWTExpired, exp equal to now included', () => {
    expect(failure({ ...good, exp: now })).toBeInstanceOf(errors.JWTExpired);
  });

  it('decodes only a JSON object in strict UTF-8', () => {
    const encode = (text: string | Buffer) => Buffer.from(text).toString('base64url');
    expect(decodeClaims(encode('{"a":1}'))).toEqual({ a: 1 });
    for (const bad of [encode('[1]'), encode('null'), encode('"x"'), encode('{'), encode(Buffer.from([0x7b, 0xff, 0x7d]))]) {
      expect(() => decodeClaims(bad)).toThrow(errors.JWTInvalid);
    }
  });
});
