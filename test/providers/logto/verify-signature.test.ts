import { describe, expect, it } from 'vitest';
import { ReceiverError } from '../../../src/errors.js';
import { verifyLogtoSignature } from '../../../src/providers/logto/verify-signature.js';

/**
 * Vectors from Logto's own packages/core/src/utils/sign.test.ts, so the check
 * is against Logto's algorithm, not against a signer written next to the verifier.
 */
const VECTORS = [
  { key: 'foo', body: '{"bar":"bar","foo":"foo"}', signature: '436958f1dbfefab37712fb3927760490fbf7757da8c0b2306ee7b485f0360eee' },
  { key: 'foo', body: '{}', signature: 'c76356efa19d219d1d7e08ccb20b1d26db53b143156f406c99dcb8e0876d6c55' },
  {
    key: 'AbCdEfGhIjKlMnOpQrStUvWxYz012345',
    body: '{"event":"PostSignIn","createdAt":"2026-01-01T00:00:00.000Z","userAgent":"fake-user-agent","hookId":"hook_123"}',
    signature: '72971cfc2e0e1542ef331e1f6cd086e1f7b8d9f4f2a03b55f9267b4ecdea7cf5',
  },
];
const [, , vector] = VECTORS as [unknown, unknown, (typeof VECTORS)[number]];
const body = Buffer.from(vector.body);

function refusal(run: () => unknown): ReceiverError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ReceiverError);
    return error as ReceiverError;
  }
  throw new Error('expected a refusal');
}

describe('verifyLogtoSignature', () => {
  it.each(VECTORS)('accepts Logto\'s signature of $body', ({ key, body: text, signature }) => {
    expect(verifyLogtoSignature(Buffer.from(text), signature, [key])).toBe(0);
  });

  it('accepts a sha256= prefix, upper-case hex and surrounding whitespace', () => {
    expect(verifyLogtoSignature(body, `sha256=${vector.signature}`, [vector.key])).toBe(0);
    expect(verifyLogtoSignature(body, vector.signature.toUpperCase(), [vector.key])).toBe(0);
    expect(verifyLogtoSignature(body, ` ${vector.signature} `, [vector.key])).toBe(0);
  });

  it('tries every key and tells which one verified (rotation)', () => {
    expect(verifyLogtoSignature(body, vector.signature, ['newer-key', vector.key])).toBe(1);
    expect(verifyLogtoSignature(body, vector.signature, [vector.key, 'older-key'])).toBe(0);
  });

  it('refuses a signature made with another key, without revealing the expected one', () => {
    const error = refusal(() => verifyLogtoSignature(body, vector.signature, ['someone-elses-key', 'another']));
    expect(error).toMatchObject({ code: 'ERR_SIGNATURE_INVALID', statusCode: 401 });
    expect(error.message).not.toMatch(/[0-9a-f]{64}/i);
  });

  it('refuses the same JSON re-serialized (whitespace, key order)', () => {
    const parsed = JSON.parse(vector.body) as Record<string, unknown>;
    const pretty = Buffer.from(JSON.stringify(parsed, null, 2));
    const reordered = Buffer.from(JSON.stringify({ hookId: parsed.hookId, ...parsed }));
    expect(reordered.toString()).not.toBe(vector.body);
    for (const changed of [pretty, reordered, Buffer.from(`${vector.body}\n`)]) {
      expect(refusal(() => verifyLogtoSignature(changed, vector.signature, [vector.key])).code).toBe('ERR_SIGNATURE_INVALID');
    }
  });

  it.each([
    ['too short', vector.signature.slice(0, 63)],
    ['too long', `${vector.signature}00`],
    ['truncated to half', vector.signature.slice(0, 32)],
    ['not hex', `${vector.signature.slice(0, 63)}g`],
    ['another prefix', `sha1=${vector.signature}`],
    ['base64 of the digest', Buffer.from(vector.signature, 'hex').toString('base64')],
  ])('refuses a signature that is %s', (_name, signature) => {
    expect(refusal(() => verifyLogtoSignature(body, signature, [vector.key]))).toMatchObject({ code: 'ERR_SIGNATURE_INVALID', statusCode: 401 });
  });

  it('refuses a header sent twice', () => {
    expect(refusal(() => verifyLogtoSignature(body, [vector.signature, vector.signature], [vector.key])).code).toBe('ERR_SIGNATURE_INVALID');
  });

  it('refuses a missing or empty header as missing', () => {
    for (const signature of [undefined, '']) {
      expect(refusal(() => verifyLogtoSignature(body, signature, [vector.key]))).toMatchObject({ code: 'ERR_SIGNATURE_MISSING', statusCode: 401 });
    }
  });
});
