import { importJWK, type CryptoKey } from 'jose';
import { describe, expect, it } from 'vitest';
import { verifyJwsSignature } from '../../../src/providers/kakao/jws-signature.js';
import { createTestKey, setClaims, signSet } from '../../helpers/kakao-transmitter.js';

/** node:crypto must accept exactly what jose (a reference JWS implementation) signs, per algorithm. */
describe('verifyJwsSignature (node:crypto)', () => {
  const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

  it.each(ALGORITHMS)('%s: accepts a jose signature, refuses a tampered payload, a flipped signature byte and another key', async (alg) => {
    const key = await createTestKey(`k-${alg}`, alg);
    const other = await createTestKey(`o-${alg}`, alg);
    const publicKey = (await importJWK(key.publicJwk, alg)) as CryptoKey;
    const otherPublic = (await importJWK(other.publicJwk, alg)) as CryptoKey;
    const [header, payload, signature] = (await signSet(key, setClaims(), { alg })).split('.') as [string, string, string];

    expect(await verifyJwsSignature(alg, publicKey, `${header}.${payload}`, signature)).toBe(true);
    const tampered = Buffer.from(JSON.stringify({ ...setClaims(), jti: 'forged' })).toString('base64url');
    expect(await verifyJwsSignature(alg, publicKey, `${header}.${tampered}`, signature)).toBe(false);
    const bytes = Buffer.from(signature, 'base64url');
    bytes[0] = bytes[0]! ^ 1;
    expect(await verifyJwsSignature(alg, publicKey, `${header}.${payload}`, bytes.toString('base64url'))).toBe(false);
    expect(await verifyJwsSignature(alg, otherPublic, `${header}.${payload}`, signature)).toBe(false);
    expect(await verifyJwsSignature(alg, publicKey, `${header}.${payload}`, signature.slice(0, 10))).toBe(false);
  });

  it('refuses an algorithm that does not fit the key, and one it does not know, without throwing', async () => {
    const key = await createTestKey('rsa');
    const publicKey = (await importJWK(key.publicJwk, 'RS256')) as CryptoKey;
    const [header, payload, signature] = (await signSet(key, setClaims())).split('.') as [string, string, string];
    // node:crypto takes the scheme from the key: an RSA key would verify this RS256 signature
    // under any digest-compatible "alg" unless the key type is checked against the algorithm.
    expect(await verifyJwsSignature('ES256', publicKey, `${header}.${payload}`, signature)).toBe(false);
    expect(await verifyJwsSignature('EdDSA', publicKey, `${header}.${payload}`, signature)).toBe(false);
    expect(await verifyJwsSignature('HS256', publicKey, `${header}.${payload}`, signature)).toBe(false);
    expect(await verifyJwsSignature('none', publicKey, `${header}.${payload}`, signature)).toBe(false);
    const p256 = await createTestKey('p256', 'ES256');
    const [h, p, sig] = (await signSet(p256, setClaims(), { alg: 'ES256' })).split('.') as [string, string, string];
    const p256Public = (await importJWK(p256.publicJwk, 'ES256')) as CryptoKey;
    expect(await verifyJwsSignature('ES384', p256Public, `${h}.${p}`, sig)).toBe(false);
  });
});
