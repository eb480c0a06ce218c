import { createHmac, createPublicKey, KeyObject, sign as cryptoSign } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import {
  ADMIN_KEY, APP_ID, callKakao, channelBody, form, FORM, JSON_TYPE, KAKAO_USER_ID, OLD_ADMIN_KEY, unlinkParams, type KakaoCall,
} from '../helpers/kakao-admin.js';
import { KAKAO_ISSUER, setClaims, TEST_AUDIENCE, UNLINKED, unsignedToken } from '../helpers/kakao-transmitter.js';
import { LOGTO_KEY, LOGTO_OLD_KEY, postLogto, signLogto, userDataUpdated } from '../helpers/logto-signer.js';
import { postSet, type TestReceiver } from '../helpers/receiver.js';

/**
 * The hostile requests, one table per endpoint. Each names the exact answer it must get: the
 * status, the error code in the body (`err` on the SET endpoint, RFC 8935; `error` elsewhere) and,
 * where our error handler answered, the internal code it logged.
 */
export interface HostileCase {
  endpoint: string;
  name: string;
  send: (r: TestReceiver) => Promise<LightMyRequestResponse>;
  status: number;
  /** The body's `err` (SET endpoint) or `error` (everywhere else). */
  error: string;
  /** The ErrorCode logged with "request refused"; absent for Fastify's own 404. */
  code?: string;
}

export const SET_PATH = '/webhooks/kakao/account-status';
export const UNLINK_PATH = '/webhooks/kakao/unlink';
export const CHANNEL_PATH = '/webhooks/kakao/talk-channel';
export const SHARE_PATH = '/webhooks/kakao/talk-share';
export const LOGTO_PATH = '/webhooks/logto';
export const WEBHOOK_PATHS = [SET_PATH, UNLINK_PATH, CHANNEL_PATH, SHARE_PATH, LOGTO_PATH];

export const LOGTO_BODY_LIMIT = 256 * 1024;
const WEBHOOK_BODY_LIMIT = 64 * 1024;

const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64url');
const json = (value: unknown) => JSON.stringify(value);
const deep = (levels: number, inner = '1') => '['.repeat(levels) + inner + ']'.repeat(levels);
const deepObject = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);

/** RS256 over `header.payload` given as raw JSON text, with the receiver's genuine Kakao key. */
function signRaw(r: TestReceiver, header: string, payload: string): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const signature = cryptoSign('sha256', Buffer.from(input), KeyObject.from(r.key.privateKey));
  return `${input}.${b64(signature)}`;
}

const genuineHeader = (r: TestReceiver, extra: Record<string, unknown> = {}) => json({ alg: 'RS256', kid: r.key.kid, typ: 'secevent+jwt', ...extra });
const signClaims = (r: TestReceiver, claims: unknown, extra: Record<string, unknown> = {}) => signRaw(r, genuineHeader(r, extra), json(claims));
/** Claims without one of them. */
const without = (name: string) => {
  const { [name]: _gone, ...rest } = setClaims();
  return rest;
};

function hmacToken(alg: 'HS256' | 'HS384' | 'HS512', secret: string | Buffer, kid: string): string {
  const input = `${b64(json({ alg, kid, typ: 'secevent+jwt' }))}.${b64(json(setClaims()))}`;
  return `${input}.${createHmac(`sha${alg.slice(2)}`, secret).update(input).digest('base64url')}`;
}

const publicPem = (r: TestReceiver) => createPublicKey({ key: r.key.publicJwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;

/** Replaces the character at `index` with a different one of the same alphabet. */
function oneOff(text: string, index: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'): string {
  const at = index < 0 ? text.length + index : index;
  const current = text[at]!;
  const next = alphabet[(alphabet.indexOf(current) + 1) % alphabet.length]!;
  return text.slice(0, at) + next + text.slice(at + 1);
}

const parts = (token: string) => token.split('.') as [string, string, string];

// ---------------------------------------------------------------------------------------------
// POST /webhooks/kakao/account-status
// ---------------------------------------------------------------------------------------------

function setCases(): HostileCase[] {
  const cases: HostileCase[] = [];
  const add = (name: string, send: HostileCase['send'], status: number, error: string, code: string) =>
    cases.push({ endpoint: `POST ${SET_PATH}`, name, send, status, error, code });
  const invalid = (name: string, token: (r: TestReceiver) => string | Promise<string>) =>
    add(name, async (r) => postSet(r.app, await token(r)), 400, 'invalid_request', 'ERR_SET_INVALID');
  const badKey = (name: string, token: (r: TestReceiver) => string | Promise<string>) =>
    add(name, async (r) => postSet(r.app, await token(r)), 400, 'invalid_key', 'ERR_SET_KEY');

  // alg none, in any case, with and without a signature part
  for (const alg of ['none', 'NONE', 'nOnE', 'None', 'nonE']) {
    invalid(`alg ${alg}, empty signature`, (r) => unsignedToken({ alg, kid: r.key.kid, typ: 'secevent+jwt' }, setClaims()));
    invalid(`alg ${alg}, some signature`, (r) => unsignedToken({ alg, kid: r.key.kid, typ: 'secevent+jwt' }, setClaims(), 'AAAA'));
  }
  invalid('alg missing', (r) => unsignedToken({ kid: r.key.kid, typ: 'secevent+jwt' }, setClaims(), 'AAAA'));
  invalid('alg as a number', (r) => unsignedToken({ alg: 256, kid: r.key.kid }, setClaims(), 'AAAA'));
  invalid('alg rs256 (lowercase)', (r) => signRaw(r, json({ alg: 'rs256', kid: r.key.kid }), json(setClaims())));
  invalid('alg PS256 with the RSA key', (r) => unsignedToken({ alg: 'PS256', kid: r.key.kid }, setClaims(), 'AAAA'));
  // HMAC with the public key as the secret (key confusion)
  invalid('HS256, secret = the public key PEM', (r) => hmacToken('HS256', publicPem(r), r.key.kid));
  invalid('HS384, secret = the public key PEM', (r) => hmacToken('HS384', publicPem(r), r.key.kid));
  invalid('HS512, secret = the public key PEM', (r) => hmacToken('HS512', publicPem(r), r.key.kid));
  invalid('HS256, secret = the JWK JSON', (r) => hmacToken('HS256', json(r.key.publicJwk), r.key.kid));
  invalid('HS256, secret = the modulus', (r) => hmacToken('HS256', Buffer.from(r.key.publicJwk.n!, 'base64url'), r.key.kid));
  // kid
  invalid('kid missing', (r) => signRaw(r, json({ alg: 'RS256', typ: 'secevent+jwt' }), json(setClaims())));
  for (const [label, kid] of [['empty', ''], ['a number', 1], ['null', null], ['an array', ['kakao-key-1']], ['an object', { id: 'kakao-key-1' }], ['true', true]] as const) {
    invalid(`kid ${label}`, (r) => signRaw(r, json({ alg: 'RS256', kid, typ: 'secevent+jwt' }), json(setClaims())));
  }
  // typ
  invalid('typ JWT', (r) => signClaims(r, setClaims(), { typ: 'JWT' }));
  invalid('typ secevent+jwt with a suffix', (r) => signClaims(r, setClaims(), { typ: 'secevent+jwtx' }));
  // critical extensions (RFC 7515 4.1.11): none is understood, so a genuinely signed token using one is refused
  invalid('crit naming an unknown extension', (r) => signRaw(r, json({ alg: 'RS256', kid: r.key.kid, typ: 'secevent+jwt', crit: ['x-ext'], 'x-ext': 1 }), json(setClaims())));
  invalid('crit b64 false (unencoded payload)', (r) => signRaw(r, json({ alg: 'RS256', kid: r.key.kid, typ: 'secevent+jwt', crit: ['b64'], b64: false }), json(setClaims())));
  invalid('b64 false without crit', (r) => signRaw(r, json({ alg: 'RS256', kid: r.key.kid, typ: 'secevent+jwt', b64: false }), json(setClaims())));
  // jku, jwk, x5u: the attacker's own key, offered in the header, is never used
  const attacker = async () => {
    const { generateKeyPair, exportJWK } = await import('jose');
    const pair = await generateKeyPair('RS256', { extractable: true });
    return { privateKey: KeyObject.from(pair.privateKey), jwk: await exportJWK(pair.publicKey) };
  };
  const signedByAttacker = async (r: TestReceiver, extra: Record<string, unknown>) => {
    const mine = await attacker();
    const header = genuineHeader(r, typeof extra.jwk === 'string' ? { jwk: mine.jwk } : extra);
    const input = `${b64(header)}.${b64(json(setClaims()))}`;
    return `${input}.${b64(cryptoSign('sha256', Buffer.from(input), mine.privateKey))}`;
  };
  badKey('jku to the attacker\'s JWKS', (r) => signedByAttacker(r, { jku: 'https://attacker.example/jwks.json' }));
  badKey('jwk: the attacker\'s public key embedded', (r) => signedByAttacker(r, { jwk: 'embed' }));
  badKey('x5u to the attacker\'s certificate', (r) => signedByAttacker(r, { x5u: 'https://attacker.example/cert.pem' }));
  badKey('x5c with junk', (r) => signedByAttacker(r, { x5c: ['MIIB'] }));
  badKey('signed by another key, genuine kid', (r) => signedByAttacker(r, {}));
  // tampering after signing
  badKey('tampered header (typ re-encoded)', (r) => {
    const [, payload, signature] = parts(signClaims(r, setClaims()));
    return `${b64(genuineHeader(r, { extra: 1 }))}.${payload}.${signature}`;
  });
  badKey('tampered payload (another sub)', (r) => {
    const [header, , signature] = parts(signClaims(r, setClaims()));
    return `${header}.${b64(json(setClaims({ sub: '1234' })))}.${signature}`;
  });
  badKey('payload swapped from another token', (r) => {
    const [header, , signature] = parts(signClaims(r, setClaims()));
    return `${header}.${parts(signClaims(r, setClaims()))[1]}.${signature}`;
  });
  for (const at of [0, 10, 100, -2]) {
    badKey(`signature, one character off at ${at}`, (r) => {
      const token = signClaims(r, setClaims());
      const [header, payload, signature] = parts(token);
      return `${header}.${payload}.${oneOff(signature, at)}`;
    });
  }
  for (const [label, cut] of [['one byte short', (s: string) => b64(Buffer.from(s, 'base64url').subarray(1))], ['half', (s: string) => s.slice(0, s.length >> 1)], ['4 characters', (s: string) => s.slice(0, 4)], ['doubled', (s: string) => s + s], ['one byte longer', (s: string) => b64(Buffer.concat([Buffer.from(s, 'base64url'), Buffer.from([0])]))]] as const) {
    badKey(`signature of the wrong length: ${label}`, (r) => {
      const [header, payload, signature] = parts(signClaims(r, setClaims()));
      return `${header}.${payload}.${cut(signature)}`;
    });
  }
  badKey('signature all zero bytes', (r) => {
    const [header, payload] = parts(signClaims(r, setClaims()));
    return `${header}.${payload}.${b64(Buffer.alloc(256))}`;
  });
  // iss
  for (const iss of ['https://kauth.kakao.com/', 'http://kauth.kakao.com', 'https://kauth.kakao.co', 'HTTPS://KAUTH.KAKAO.COM', ' https://kauth.kakao.com', 'https://kauth.kakao.com.attacker.example', 'https://accounts.kakao.com']) {
    add(`iss near-miss ${json(iss)}`, async (r) => postSet(r.app, signClaims(r, setClaims({ iss }))), 400, 'invalid_issuer', 'ERR_SET_ISSUER');
  }
  add('iss a number', async (r) => postSet(r.app, signClaims(r, setClaims({ iss: 1 }))), 400, 'invalid_issuer', 'ERR_SET_ISSUER');
  add('iss an array holding the issuer', async (r) => postSet(r.app, signClaims(r, setClaims({ iss: [KAKAO_ISSUER] }))), 400, 'invalid_issuer', 'ERR_SET_ISSUER');
  invalid('iss missing', (r) => signClaims(r, without('iss')));
  // aud
  for (const aud of ['test-rest-api-key ', 'TEST-REST-API-KEY', 'test-rest-api-ke', 'test-rest-api-keyy', '', ['another'], []]) {
    add(`aud near-miss ${json(aud)}`, async (r) => postSet(r.app, signClaims(r, setClaims({ aud }))), 400, 'invalid_audience', 'ERR_SET_AUDIENCE');
  }
  invalid('aud missing', (r) => signClaims(r, without('aud')));
  // iat
  invalid('iat an hour in the future', (r) => signClaims(r, setClaims({ iat: Math.floor(Date.now() / 1000) + 3600 })));
  invalid('iat 2 minutes in the future', (r) => signClaims(r, setClaims({ iat: Math.floor(Date.now() / 1000) + 120 })));
  invalid('iat in the year 275760', (r) => signClaims(r, setClaims({ iat: 8.64e12 })));
  invalid('iat a string', (r) => signClaims(r, setClaims({ iat: String(Math.floor(Date.now() / 1000)) })));
  invalid('iat missing', (r) => signClaims(r, without('iat')));
  invalid('iat 8 days old', (r) => signClaims(r, setClaims({ iat: Math.floor(Date.now() / 1000) - 8 * 86_400 })));
  // jti
  invalid('jti missing', (r) => signClaims(r, without('jti')));
  for (const [label, jti] of [['empty', ''], ['a number', 42], ['null', null], ['an object', { id: 'x' }], ['an array', ['x']], ['false', false]] as const) {
    invalid(`jti ${label}`, (r) => signClaims(r, setClaims({ jti })));
  }
  // claims that are not an object
  for (const [label, payload] of [['an array', '[]'], ['a string', '"claims"'], ['a number', '42'], ['null', 'null'], ['true', 'true'], ['not JSON', '{"iss":'], ['empty', '']] as const) {
    invalid(`claims ${label}`, (r) => signRaw(r, genuineHeader(r), payload));
  }
  // events
  invalid('events missing', (r) => signClaims(r, without('events')));
  invalid('events empty', (r) => signClaims(r, setClaims({ events: {} })));
  invalid('events an array', (r) => signClaims(r, setClaims({ events: [{ subject: {} }] })));
  invalid('an event that is a string', (r) => signClaims(r, setClaims({ events: { [UNLINKED]: 'unlinked' } })));
  invalid('sub names another user than the event subject', (r) => signClaims(r, setClaims({ sub: '1234' })));
  // numbers beyond 2^53 as ids
  invalid('sub a JSON number above 2^53', (r) => signRaw(r, genuineHeader(r), json(without('sub')).replace(/^\{/, '{"sub":9007199254740993123,')));
  invalid('event subject sub a JSON number above 2^53', (r) =>
    signRaw(r, genuineHeader(r), json(setClaims({ sub: undefined, events: { [UNLINKED]: { subject: { subject_type: 'iss-sub', iss: KAKAO_ISSUER, sub: 'X' } } } })).replace('"sub":"X"', '"sub":9007199254740993123')));
  // __proto__ and constructor: claims carried only there are not claims
  invalid('events only under __proto__', (r) => signRaw(r, genuineHeader(r), json(without('events')).replace(/^\{/, `{"__proto__":{"events":${json(setClaims().events)}},`)));
  invalid('jti only under constructor.prototype', (r) => signRaw(r, genuineHeader(r), json(without('jti')).replace(/^\{/, '{"constructor":{"prototype":{"jti":"x"}},')));
  // deep nesting
  invalid('signed claims nested 20,000 levels deep', (r) => signRaw(r, genuineHeader(r), json(setClaims({ deep: 'X' })).replace('"X"', deep(20_000))));
  invalid('signed claims nested 65 levels deep', (r) => signRaw(r, genuineHeader(r), json(setClaims({ deep: 'X' })).replace('"X"', deepObject(65))));
  badKey('header nested 20,000 levels deep, forged', (r) => `${b64(genuineHeader(r, { x: 'X' }).replace('"X"', deep(20_000)))}.${b64(json(setClaims()))}.AAAA`);
  // bodies
  invalid('truncated token (half)', (r) => {
    const token = signClaims(r, setClaims());
    return token.slice(0, token.length >> 1);
  });
  invalid('truncated token (no signature part)', (r) => parts(signClaims(r, setClaims())).slice(0, 2).join('.'));
  invalid('two tokens joined', (r) => `${signClaims(r, setClaims())}.${signClaims(r, setClaims())}`);
  invalid('a JWE-shaped body', () => 'a.b.c.d.e');
  invalid('whitespace only', () => '   ');
  invalid('JSON instead of a JWS', () => json(setClaims()));
  add('empty body', (r) => postSet(r.app, ''), 400, 'invalid_request', 'ERR_SET_INVALID');
  add('invalid UTF-8 body', (r) => r.app.inject({ method: 'POST', url: SET_PATH, headers: { 'content-type': 'application/secevent+jwt' }, payload: Buffer.from([0xff, 0xfe, 0x2e, 0xc3, 0x28, 0x2e, 0xa0]) }), 400, 'invalid_request', 'ERR_SET_INVALID');
  add('token with invalid UTF-8 spliced in', (r) => r.app.inject({ method: 'POST', url: SET_PATH, headers: { 'content-type': 'application/secevent+jwt' }, payload: Buffer.concat([Buffer.from(signClaims(r, setClaims())), Buffer.from([0xc3, 0x28])]) }), 400, 'invalid_request', 'ERR_SET_INVALID');
  add('oversized body', (r) => postSet(r.app, 'A'.repeat(WEBHOOK_BODY_LIMIT + 1)), 413, 'invalid_request', 'ERR_BODY_TOO_LARGE');
  add('oversized signed token', (r) => postSet(r.app, signClaims(r, setClaims({ pad: 'x'.repeat(WEBHOOK_BODY_LIMIT) }))), 413, 'invalid_request', 'ERR_BODY_TOO_LARGE');
  // content types
  for (const type of ['text/plain', 'application/json', 'application/x-www-form-urlencoded', 'application/secevent+jwtx', 'application/secevent', 'multipart/form-data; boundary=x', 'application/jose']) {
    add(`content type ${type}`, async (r) => postSet(r.app, signClaims(r, setClaims()), type), 415, 'invalid_request', 'ERR_UNSUPPORTED_MEDIA_TYPE');
  }
  add('no content type', async (r) => r.app.inject({ method: 'POST', url: SET_PATH, payload: signClaims(r, setClaims()) }), 415, 'invalid_request', 'ERR_UNSUPPORTED_MEDIA_TYPE');
  // methods
  for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'HEAD'] as const) {
    cases.push({
      endpoint: `POST ${SET_PATH}`,
      name: `method ${method}`,
      send: async (r) => r.app.inject({ method, url: SET_PATH, headers: { 'content-type': 'application/secevent+jwt' }, ...(method === 'GET' || method === 'HEAD' ? {} : { payload: signClaims(r, setClaims()) }) }),
      status: 404,
      error: method === 'HEAD' ? '' : 'Not Found',
    });
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------
// The admin-key webhooks: unlink (GET|POST), Talk Channel (POST), Talk Share (GET|POST)
// ---------------------------------------------------------------------------------------------

/** Authorization headers that must not pass (the scheme's case and extra spaces are tolerated). */
const KAKAO_AK_NEAR_MISSES: [string, string | null][] = [
  ['no Authorization', null],
  ['KakaoAK without a key', 'KakaoAK'],
  ['KakaoAK and a space', 'KakaoAK '],
  ['no space after KakaoAK', `KakaoAK${ADMIN_KEY}`],
  ['Kakao AK (split scheme)', `Kakao AK ${ADMIN_KEY}`],
  ['KakaoAK: with a colon', `KakaoAK: ${ADMIN_KEY}`],
  ['Bearer scheme', `Bearer ${ADMIN_KEY}`],
  ['key uppercased', `KakaoAK ${ADMIN_KEY.toUpperCase()}`],
  ['key one character off (last)', `KakaoAK ${oneOff(ADMIN_KEY, -1, '0123456789abcdef')}`],
  ['key one character off (first)', `KakaoAK ${oneOff(ADMIN_KEY, 0, '0123456789abcdef')}`],
  ['key one character short', `KakaoAK ${ADMIN_KEY.slice(0, -1)}`],
  ['key plus a character', `KakaoAK ${ADMIN_KEY}0`],
  ['old key plus a suffix', `KakaoAK ${OLD_ADMIN_KEY}x`],
  ['two keys', `KakaoAK ${ADMIN_KEY} ${OLD_ADMIN_KEY}`],
  ['both keys joined by a comma', `KakaoAK ${ADMIN_KEY},${OLD_ADMIN_KEY}`],
  ['key in quotes', `KakaoAK "${ADMIN_KEY}"`],
  ['the key alone', ADMIN_KEY],
];

function adminCases(): HostileCase[] {
  const cases: HostileCase[] = [];
  const endpoints: { label: string; method: 'GET' | 'POST'; url: string; good: () => Record<string, string> }[] = [
    { label: `GET ${UNLINK_PATH}`, method: 'GET', url: UNLINK_PATH, good: () => unlinkParams() },
    { label: `POST ${UNLINK_PATH}`, method: 'POST', url: UNLINK_PATH, good: () => unlinkParams() },
    { label: `POST ${CHANNEL_PATH}`, method: 'POST', url: CHANNEL_PATH, good: () => channelBody() as Record<string, string> },
    { label: `GET ${SHARE_PATH}`, method: 'GET', url: SHARE_PATH, good: () => ({ CHAT_TYPE: 'MemoChat', HASH_CHAT_ID: 'h1', TEMPLATE_ID: '1' }) },
    { label: `POST ${SHARE_PATH}`, method: 'POST', url: SHARE_PATH, good: () => ({ CHAT_TYPE: 'MemoChat', HASH_CHAT_ID: 'h1', TEMPLATE_ID: '1' }) },
  ];
  /** A well-formed request for the endpoint with the given parameters, as a query or a form. */
  const call = (endpoint: (typeof endpoints)[number], params: Record<string, string>, extra: Partial<KakaoCall> = {}): KakaoCall =>
    endpoint.method === 'GET'
      ? { method: 'GET', url: `${endpoint.url}?${form(params)}`, ...extra }
      : { method: 'POST', url: endpoint.url, contentType: FORM, payload: form(params), ...extra };

  for (const endpoint of endpoints) {
    const add = (name: string, kakao: (r: TestReceiver) => KakaoCall, status: number, error: string) =>
      cases.push({ endpoint: endpoint.label, name, send: (r) => callKakao(r.app, kakao(r)), status, error, code: error });
    for (const [label, authorization] of KAKAO_AK_NEAR_MISSES) {
      add(`KakaoAK near-miss: ${label}`, () => call(endpoint, endpoint.good(), authorization === null ? { key: null } : { authorization }), 401, 'ERR_ADMIN_KEY_INVALID');
    }
    // wrong methods (no handler, whatever the key)
    for (const method of endpoint.method === 'GET' ? (['HEAD'] as const) : (['PUT', 'DELETE', 'PATCH'] as const)) {
      cases.push({
        endpoint: endpoint.label,
        name: `method ${method}`,
        send: (r) => callKakao(r.app, { ...call(endpoint, endpoint.good()), method: method as 'HEAD' }),
        status: 404,
        error: method === 'HEAD' ? '' : 'Not Found',
      });
    }
    if (endpoint.method === 'GET') continue;
    // bodies, for the POST endpoints
    add('content type text/plain', () => call(endpoint, endpoint.good(), { contentType: 'text/plain' }), 415, 'ERR_UNSUPPORTED_MEDIA_TYPE');
    add('content type application/xml', () => call(endpoint, endpoint.good(), { contentType: 'application/xml' }), 415, 'ERR_UNSUPPORTED_MEDIA_TYPE');
    add('content type multipart/form-data', () => call(endpoint, endpoint.good(), { contentType: 'multipart/form-data; boundary=x' }), 415, 'ERR_UNSUPPORTED_MEDIA_TYPE');
    add('content type application/jsonx', () => ({ url: endpoint.url, contentType: 'application/jsonx', payload: json(endpoint.good()) }), 415, 'ERR_UNSUPPORTED_MEDIA_TYPE');
    add('empty form body', () => ({ url: endpoint.url, contentType: FORM, payload: '' }), 400, 'ERR_PAYLOAD_INVALID');
    add('JSON: not JSON', () => ({ url: endpoint.url, contentType: JSON_TYPE, payload: '{"app_id":' }), 400, 'ERR_PAYLOAD_INVALID');
    add('JSON: truncated', () => ({ url: endpoint.url, contentType: JSON_TYPE, payload: json(endpoint.good()).slice(0, -3) }), 400, 'ERR_PAYLOAD_INVALID');
    add('JSON: an array', () => ({ url: endpoint.url, contentType: JSON_TYPE, payload: json([endpoint.good()]) }), 400, 'ERR_PAYLOAD_INVALID');
    add('JSON: a string', () => ({ url: endpoint.url, contentType: JSON_TYPE, payload: '"x"' }), 400, 'ERR_PAYLOAD_INVALID');
    add('JSON: null', () => ({ url: endpoint.url, contentType: JSON_TYPE, payload: 'null' }), 400, 'ERR_PAYLOAD_INVALID');
    add('JSON nested 20,000 levels deep', () => ({ url: endpoint.url, contentType: JSON_TYPE, payload: json({ ...endpoint.good(), deep: 'X' }).replace('"X"', deep(20_000)) }), 400, 'ERR_PAYLOAD_INVALID');
    add('JSON nested 65 levels deep', () => ({ url: endpoint.url, contentType: JSON_TYPE, payload: json({ ...endpoint.good(), deep: 'X' }).replace('"X"', deepObject(65)) }), 400, 'ERR_PAYLOAD_INVALID');
    add('oversized form body', () => ({ url: endpoint.url, contentType: FORM, payload: `${form(endpoint.good())}&pad=${'x'.repeat(WEBHOOK_BODY_LIMIT)}` }), 413, 'ERR_BODY_TOO_LARGE');
    add('oversized JSON body', () => ({ url: endpoint.url, contentType: JSON_TYPE, payload: json({ ...endpoint.good(), pad: 'x'.repeat(WEBHOOK_BODY_LIMIT) }) }), 413, 'ERR_BODY_TOO_LARGE');
  }

  // unlink: ids
  const unlinkAdd = (method: 'GET' | 'POST', name: string, kakao: KakaoCall, status: number, error: string) =>
    cases.push({ endpoint: `${method} ${UNLINK_PATH}`, name, send: (r) => callKakao(r.app, kakao), status, error, code: error });
  const badUserIds = ['abc', '-1', '1.5', '9'.repeat(5000), '0', '', '01', ' 1', '1 ', '1e3', '0x1f', '+1', '123456789012345678901', '１２３', '\uFFFD'];
  for (const user_id of badUserIds) {
    const label = user_id.length > 30 ? `${user_id.length} digits` : json(user_id);
    unlinkAdd('GET', `user_id ${label}`, { method: 'GET', url: `${UNLINK_PATH}?${form(unlinkParams({ user_id }))}` }, 400, 'ERR_PAYLOAD_INVALID');
    unlinkAdd('POST', `user_id ${label}`, { url: UNLINK_PATH, contentType: FORM, payload: form(unlinkParams({ user_id })) }, 400, 'ERR_PAYLOAD_INVALID');
  }
  const jsonUnlink = (raw: string) => ({ url: UNLINK_PATH, contentType: JSON_TYPE, payload: raw });
  unlinkAdd('POST', 'user_id a JSON number above 2^53', jsonUnlink(`{"app_id":"${APP_ID}","user_id":9007199254740993123,"referrer_type":"UNLINK_FROM_APPS"}`), 400, 'ERR_PAYLOAD_INVALID');
  unlinkAdd('POST', 'user_id JSON -1', jsonUnlink(`{"app_id":"${APP_ID}","user_id":-1,"referrer_type":"UNLINK_FROM_APPS"}`), 400, 'ERR_PAYLOAD_INVALID');
  unlinkAdd('POST', 'user_id JSON 1.5', jsonUnlink(`{"app_id":"${APP_ID}","user_id":1.5,"referrer_type":"UNLINK_FROM_APPS"}`), 400, 'ERR_PAYLOAD_INVALID');
  unlinkAdd('POST', 'user_id JSON 0', jsonUnlink(`{"app_id":"${APP_ID}","user_id":0,"referrer_type":"UNLINK_FROM_APPS"}`), 400, 'ERR_PAYLOAD_INVALID');
  unlinkAdd('POST', 'user_id JSON true', jsonUnlink(`{"app_id":"${APP_ID}","user_id":true,"referrer_type":"UNLINK_FROM_APPS"}`), 400, 'ERR_PAYLOAD_INVALID');
  unlinkAdd('POST', 'user_id JSON object', jsonUnlink(`{"app_id":"${APP_ID}","user_id":{"id":"1"},"referrer_type":"UNLINK_FROM_APPS"}`), 400, 'ERR_PAYLOAD_INVALID');
  unlinkAdd('POST', 'user_id given twice (form)', { url: UNLINK_PATH, contentType: FORM, payload: `${form(unlinkParams())}&user_id=2` }, 400, 'ERR_PAYLOAD_INVALID');
  unlinkAdd('POST', 'user_id only under __proto__ (JSON)', jsonUnlink(`{"__proto__":{"user_id":"1"},"app_id":"${APP_ID}","referrer_type":"UNLINK_FROM_APPS"}`), 400, 'ERR_PAYLOAD_INVALID');
  unlinkAdd('POST', 'user_id only under constructor.prototype (JSON)', jsonUnlink(`{"constructor":{"prototype":{"user_id":"1"}},"app_id":"${APP_ID}","referrer_type":"UNLINK_FROM_APPS"}`), 400, 'ERR_PAYLOAD_INVALID');
  unlinkAdd('POST', '__proto__ as a form name, user_id missing', { url: UNLINK_PATH, contentType: FORM, payload: `__proto__=1&constructor=2&app_id=${APP_ID}&referrer_type=UNLINK_FROM_APPS` }, 400, 'ERR_PAYLOAD_INVALID');
  unlinkAdd('POST', 'referrer_type missing', { url: UNLINK_PATH, contentType: FORM, payload: form({ app_id: APP_ID, user_id: KAKAO_USER_ID }) }, 400, 'ERR_PAYLOAD_INVALID');
  unlinkAdd('POST', 'invalid UTF-8 in the form (%FF as user_id)', { url: UNLINK_PATH, contentType: FORM, payload: `app_id=${APP_ID}&user_id=%FF%FE&referrer_type=UNLINK_FROM_APPS` }, 400, 'ERR_PAYLOAD_INVALID');
  // app_id: not ours is 401 (authentication), whatever its shape
  for (const app_id of ['abc', '1234567', '12345', `${APP_ID} `, `0${APP_ID}`, '-123456', '']) {
    unlinkAdd('POST', `app_id ${json(app_id)}`, { url: UNLINK_PATH, contentType: FORM, payload: form(unlinkParams({ app_id })) }, 401, 'ERR_APP_ID_INVALID');
  }
  unlinkAdd('GET', 'app_id missing', { method: 'GET', url: `${UNLINK_PATH}?${form({ user_id: KAKAO_USER_ID, referrer_type: 'UNLINK_FROM_APPS' })}` }, 401, 'ERR_APP_ID_INVALID');
  unlinkAdd('POST', 'app_id a JSON number above 2^53', jsonUnlink(`{"app_id":12345600000000000001,"user_id":"${KAKAO_USER_ID}","referrer_type":"UNLINK_FROM_APPS"}`), 401, 'ERR_APP_ID_INVALID');

  // Talk Channel
  const channel = (name: string, body: string, status = 400, error = 'ERR_PAYLOAD_INVALID') =>
    cases.push({ endpoint: `POST ${CHANNEL_PATH}`, name, send: (r) => callKakao(r.app, { url: CHANNEL_PATH, contentType: JSON_TYPE, payload: body }), status, error, code: error });
  for (const id of ['abc', '-1', '1.5', '9'.repeat(5000), '0', '01', '1e3']) {
    channel(`app_user_id ${id.length > 30 ? `${id.length} digits` : json(id)}`, json(channelBody({ id })));
  }
  channel('id a JSON number above 2^53', json(channelBody({ id: 'X' })).replace('"X"', '9007199254740993123'));
  channel('id an object', json(channelBody({ id: { id: '1' } })));
  channel('event missing', json(channelBody({ event: undefined })));
  channel('event an array', json(channelBody({ event: ['added'] })));
  channel('updated_at not a date', json(channelBody({ updated_at: 'yesterday' })));
  channel('channel_uuid empty', json(channelBody({ channel_uuid: '' })));
  channel('event only under __proto__', json(channelBody({ event: undefined })).replace(/^\{/, '{"__proto__":{"event":"added"},'));
  cases.push({
    endpoint: `POST ${CHANNEL_PATH}`, name: 'event given twice (form)', status: 400, error: 'ERR_PAYLOAD_INVALID', code: 'ERR_PAYLOAD_INVALID',
    send: (r) => callKakao(r.app, { url: CHANNEL_PATH, contentType: FORM, payload: `${form(channelBody() as Record<string, string>)}&event=blocked` }),
  });

  // Talk Share
  const share = (method: 'GET' | 'POST', name: string, params: string) =>
    cases.push({
      endpoint: `${method} ${SHARE_PATH}`, name, status: 400, error: 'ERR_PAYLOAD_INVALID', code: 'ERR_PAYLOAD_INVALID',
      send: (r) => callKakao(r.app, method === 'GET' ? { method, url: `${SHARE_PATH}?${params}` } : { url: SHARE_PATH, contentType: FORM, payload: params }),
    });
  for (const method of ['GET', 'POST'] as const) {
    share(method, 'no parameters at all', method === 'GET' ? '' : 'x=1');
    share(method, 'CHAT_TYPE missing', 'HASH_CHAT_ID=h1');
    share(method, 'HASH_CHAT_ID given twice', 'CHAT_TYPE=MemoChat&HASH_CHAT_ID=a&HASH_CHAT_ID=b');
    share(method, 'CHAT_TYPE empty', 'CHAT_TYPE=&HASH_CHAT_ID=h1');
    share(method, '__proto__ carrying CHAT_TYPE', '__proto__%5BCHAT_TYPE%5D=MemoChat&HASH_CHAT_ID=h1');
  }
  cases.push({
    endpoint: `POST ${SHARE_PATH}`, name: 'TEMPLATE_ID an object (JSON)', status: 400, error: 'ERR_PAYLOAD_INVALID', code: 'ERR_PAYLOAD_INVALID',
    send: (r) => callKakao(r.app, { url: SHARE_PATH, contentType: JSON_TYPE, payload: json({ CHAT_TYPE: 'MemoChat', HASH_CHAT_ID: 'h1', TEMPLATE_ID: { id: 1 } }) }),
  });
  return cases;
}

// ---------------------------------------------------------------------------------------------
// POST /webhooks/logto
// ---------------------------------------------------------------------------------------------

function logtoCases(): HostileCase[] {
  const cases: HostileCase[] = [];
  const add = (name: string, send: HostileCase['send'], status: number, error: string) =>
    cases.push({ endpoint: `POST ${LOGTO_PATH}`, name, send, status, error, code: error });
  const bodyOf = () => json(userDataUpdated());
  const goodSignature = (body: string) => signLogto(LOGTO_KEY, body);
  const withSignature = (name: string, signature: (body: string) => string | null, error = 'ERR_SIGNATURE_INVALID') =>
    add(`signature: ${name}`, (r) => {
      const body = bodyOf();
      return postLogto(r.app, body, { signature: signature(body) });
    }, 401, error);

  withSignature('missing', () => null, 'ERR_SIGNATURE_MISSING');
  withSignature('empty', () => '', 'ERR_SIGNATURE_MISSING');
  for (const at of [0, 1, 31, 62, 63]) withSignature(`one hex character off at ${at}`, (body) => oneOff(goodSignature(body), at, '0123456789abcdef'));
  withSignature('truncated to 63', (body) => goodSignature(body).slice(0, 63));
  withSignature('truncated to 32', (body) => goodSignature(body).slice(0, 32));
  withSignature('65 characters', (body) => `${goodSignature(body)}0`);
  withSignature('doubled', (body) => goodSignature(body).repeat(2));
  withSignature('uppercase of a one-off signature', (body) => oneOff(goodSignature(body), 5, '0123456789abcdef').toUpperCase());
  withSignature('non-hex character', (body) => `${goodSignature(body).slice(0, 63)}g`);
  withSignature('base64 instead of hex', (body) => Buffer.from(goodSignature(body), 'hex').toString('base64'));
  for (const prefix of ['sha256:', 'sha256 =', 'sha256==', 'sha1=', 'sha512=', 'sha256=sha256=', 'hmac-sha256=', '=', 'sha256= ']) {
    withSignature(`prefix ${json(prefix)}`, (body) => `${prefix}${goodSignature(body)}`);
  }
  withSignature('sha256= and one character off', (body) => `sha256=${oneOff(goodSignature(body), 10, '0123456789abcdef')}`);
  withSignature('two signatures comma-joined', (body) => `${goodSignature(body)},${goodSignature(body)}`);
  withSignature('signed with an unknown key', (body) => signLogto('not-our-key', body));
  withSignature('signed with the old key, which is not configured', (body) => signLogto(LOGTO_OLD_KEY, body));
  withSignature('the HMAC of the empty body', () => signLogto(LOGTO_KEY, ''));
  withSignature('the plain SHA-256 of the body', (body) => createHmac('sha256', '').update(body).digest('hex'));
  add('signature over the body re-serialized with spaces', (r) => {
    const payload = userDataUpdated();
    return postLogto(r.app, JSON.stringify(payload, null, 2), { signature: goodSignature(JSON.stringify(payload)) });
  }, 401, 'ERR_SIGNATURE_INVALID');
  add('signature over the body without its last byte', (r) => {
    const body = bodyOf();
    return postLogto(r.app, body, { signature: goodSignature(body.slice(0, -1)) });
  }, 401, 'ERR_SIGNATURE_INVALID');
  add('signature over the body plus a newline', (r) => {
    const body = bodyOf();
    return postLogto(r.app, `${body}\n`, { signature: goodSignature(body) });
  }, 401, 'ERR_SIGNATURE_INVALID');
  add('signature header given twice', (r) => {
    const body = bodyOf();
    return r.app.inject({ method: 'POST', url: LOGTO_PATH, headers: { 'content-type': 'application/json', 'logto-signature-sha-256': [goodSignature(body), goodSignature(body)] }, payload: body });
  }, 401, 'ERR_SIGNATURE_INVALID');
  add('unsigned invalid UTF-8 body', (r) => r.app.inject({ method: 'POST', url: LOGTO_PATH, headers: { 'content-type': 'application/json', 'logto-signature-sha-256': signLogto(LOGTO_KEY, 'x') }, payload: Buffer.from([0xff, 0xfe, 0xfd]) }), 401, 'ERR_SIGNATURE_INVALID');
  add('tampered body (user id changed after signing)', (r) => {
    const body = bodyOf();
    return postLogto(r.app, body.replace('"username":"ada"', '"username":"eve"'), { signature: goodSignature(body) });
  }, 401, 'ERR_SIGNATURE_INVALID');
  // A well-formed signature lets the body be read, up to the limit: past it, 413 before any HMAC.
  add('oversized body, forged', (r) => postLogto(r.app, json({ pad: 'x'.repeat(LOGTO_BODY_LIMIT) }), { signature: '0'.repeat(64) }), 413, 'ERR_BODY_TOO_LARGE');
  add('oversized body, no signature', (r) => postLogto(r.app, json({ pad: 'x'.repeat(LOGTO_BODY_LIMIT) }), { signature: null }), 401, 'ERR_SIGNATURE_MISSING');

  // correctly signed, but not an event we can take
  const signed = (name: string, body: () => string | Buffer, status = 400, error = 'ERR_PAYLOAD_INVALID', contentType?: string) =>
    add(name, (r) => {
      const raw = body();
      return r.app.inject({
        method: 'POST',
        url: LOGTO_PATH,
        headers: { 'content-type': contentType ?? 'application/json', 'logto-signature-sha-256': signLogto(LOGTO_KEY, raw) },
        payload: raw,
      });
    }, status, error);
  signed('signed, not JSON', () => 'event=User.Created');
  signed('signed, truncated JSON', () => bodyOf().slice(0, 40));
  signed('signed, empty body', () => '');
  signed('signed, a JSON array', () => json([userDataUpdated()]));
  signed('signed, a JSON string', () => '"User.Created"');
  signed('signed, JSON null', () => 'null');
  signed('signed, invalid UTF-8 bytes', () => Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
  signed('signed, invalid UTF-8 (overlong encoding) as a key', () => Buffer.concat([Buffer.from('{'), Buffer.from([0xc0, 0xaf]), Buffer.from(':1}')]));
  signed('signed, nested 20,000 levels deep', () => json(userDataUpdated({ deep: 'X' })).replace('"X"', deep(20_000)));
  signed('signed, objects nested 20,000 levels deep', () => json(userDataUpdated({ deep: 'X' })).replace('"X"', deepObject(20_000)));
  signed('signed, nested 65 levels deep in data', () => json(userDataUpdated({ data: 'X' })).replace('"X"', deepObject(65)));
  signed('signed, event missing', () => json(userDataUpdated({ event: undefined })));
  signed('signed, event a number', () => json(userDataUpdated({ event: 1 })));
  signed('signed, event only under __proto__', () => json(userDataUpdated({ event: undefined })).replace(/^\{/, '{"__proto__":{"event":"User.Created"},'));
  signed('signed, createdAt only under constructor.prototype', () => json(userDataUpdated({ createdAt: undefined })).replace(/^\{/, `{"constructor":{"prototype":{"createdAt":"${new Date().toISOString()}"}},`));
  signed('signed, createdAt missing', () => json(userDataUpdated({ createdAt: undefined })));
  signed('signed, createdAt a number', () => json(userDataUpdated({ createdAt: Date.now() })));
  signed('signed, createdAt not a date', () => json(userDataUpdated({ createdAt: 'now' })));
  signed('signed, status a string', () => json(userDataUpdated({ status: '200' })));
  signed('signed, interaction userId a number above 2^53', () => json({ event: 'PostSignIn', createdAt: new Date().toISOString(), userId: 'X' }).replace('"X"', '9007199254740993123'));
  signed('signed, interaction user.id a number', () => json({ event: 'PostSignIn', createdAt: new Date().toISOString(), user: { id: 'X' } }).replace('"X"', '12345678901234567890'));
  signed('signed, createdAt an hour old', () => json(userDataUpdated({ createdAt: new Date(Date.now() - 3_600_000).toISOString() })), 422, 'ERR_EVENT_TOO_OLD');
  signed('signed, createdAt an hour ahead', () => json(userDataUpdated({ createdAt: new Date(Date.now() + 3_600_000).toISOString() })), 422, 'ERR_EVENT_IN_FUTURE');
  signed('signed, createdAt in year 9999', () => json(userDataUpdated({ createdAt: '9999-12-31T23:59:59.999Z' })), 422, 'ERR_EVENT_IN_FUTURE');
  signed('signed, createdAt in year 1970', () => json(userDataUpdated({ createdAt: '1970-01-01T00:00:00.000Z' })), 422, 'ERR_EVENT_TOO_OLD');
  signed('signed, oversized body', () => json(userDataUpdated({ pad: 'x'.repeat(LOGTO_BODY_LIMIT) })), 413, 'ERR_BODY_TOO_LARGE');
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx', 'text/json', 'multipart/form-data; boundary=x']) {
    signed(`signed, content type ${type}`, bodyOf, 415, 'ERR_UNSUPPORTED_MEDIA_TYPE', type);
  }
  add('signed, no content type', (r) => {
    const body = bodyOf();
    return r.app.inject({ method: 'POST', url: LOGTO_PATH, headers: { 'logto-signature-sha-256': goodSignature(body) }, payload: body });
  }, 415, 'ERR_UNSUPPORTED_MEDIA_TYPE');
  for (const method of ['GET', 'PUT', 'DELETE', 'PATCH'] as const) {
    cases.push({
      endpoint: `POST ${LOGTO_PATH}`, name: `method ${method}`, status: 404, error: 'Not Found',
      send: (r) => {
        const body = bodyOf();
        return r.app.inject({ method, url: LOGTO_PATH, headers: { 'content-type': 'application/json', 'logto-signature-sha-256': goodSignature(body) }, ...(method === 'GET' ? {} : { payload: body }) });
      },
    });
  }
  return cases;
}

export const HOSTILE_CASES: HostileCase[] = [...setCases(), ...adminCases(), ...logtoCases()];
