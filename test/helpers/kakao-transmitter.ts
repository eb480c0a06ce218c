import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type CryptoKey } from 'jose';

/**
 * Plays Kakao in tests: owns RSA signing keys, serves their JWKS from a local HTTP server, and
 * signs Security Event Tokens the way Kakao's account status change webhook sends them.
 */
export interface TestKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function createTestKey(kid: string, alg = 'RS256'): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export interface JwksServer {
  url: string;
  /** Keys served from now on. */
  publish(keys: TestKey[]): void;
  /** 'up' serves the JWKS; 'error' answers 500; 'hang' never answers. */
  mode: 'up' | 'error' | 'hang';
  requests: number;
  close(): Promise<void>;
}

export async function startJwksServer(keys: TestKey[]): Promise<JwksServer> {
  let published = keys.map((key) => key.publicJwk);
  const state = { mode: 'up' as JwksServer['mode'], requests: 0 };
  const server: Server = createServer((_request, response) => {
    state.requests += 1;
    if (state.mode === 'hang') return;
    if (state.mode === 'error') {
      response.writeHead(500).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    publish(next) {
      published = next.map((key) => key.publicJwk);
    },
    get mode() {
      return state.mode;
    },
    set mode(mode) {
      state.mode = mode;
    },
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const KAKAO_ISSUER = 'https://kauth.kakao.com';
export const TEST_AUDIENCE = 'test-rest-api-key';
export const UNLINKED = 'https://schemas.openid.net/secevent/oauth/event-type/user-unlinked';

let counter = 0;

/** Claims shaped like Kakao's published examples: top-level sub, event-level iss-sub subject, txm. */
export function setClaims(overrides: Record<string, unknown> = {}): JWTPayload {
  counter += 1;
  const userId = '9007199254740993123'; // above 2^53: must stay a string end to end
  return {
    iss: KAKAO_ISSUER,
    aud: TEST_AUDIENCE,
    iat: Math.floor(Date.now() / 1000),
    toe: Math.floor(Date.now() / 1000) - 5,
    jti: `jti-${process.pid}-${Date.now()}-${counter}`,
    txm: 'txn-1',
    sub: userId,
    events: {
      [UNLINKED]: {
        subject: { subject_type: 'iss-sub', iss: KAKAO_ISSUER, sub: userId },
        reason: 'UNLINK_FROM_APPS',
      },
    },
    ...overrides,
  };
}

export interface SignOptions {
  alg?: string;
  kid?: string | null;
  typ?: string | null;
}

export async function signSet(key: TestKey, claims: JWTPayload, options: SignOptions = {}): Promise<string> {
  const header: Record<string, unknown> = { alg: options.alg ?? 'RS256' };
  if (options.kid !== null) header.kid = options.kid ?? key.kid;
  if (options.typ !== null) header.typ = options.typ ?? 'secevent+jwt';
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
}

/** A compact JWS whose header and payload are written by hand (for alg "none" and the like). */
export function unsignedToken(header: Record<string, unknown>, claims: JWTPayload, signature = ''): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode(header)}.${encode(claims)}.${signature}`;
}
