import { createTestKey, setClaims, signSet, KAKAO_ISSUER, TEST_AUDIENCE } from '/work/main/test/helpers/kakao-transmitter.js';
import { setClaimsSchema } from '/work/main/src/providers/kakao/verify-set.js';
import { decodeClaims, checkRegisteredClaims } from '/work/main/src/providers/kakao/registered-claims.js';
import { valueNestsDeeperThan, MAX_JSON_DEPTH } from '/work/main/src/providers/read-payload.js';
import { setToEvents } from '/work/main/src/providers/kakao/set-to-events.js';
import { decodeProtectedHeader } from 'jose';
const key = await createTestKey('k');
const token = await signSet(key, setClaims());
const [h, p] = token.split('.');
const claims = decodeClaims(p!);
const parsed = setClaimsSchema.parse(claims);
const N = 100000;
const time = (name: string, f: () => unknown) => { for (let i = 0; i < 2000; i++) f(); const t = performance.now(); for (let i = 0; i < N; i++) f(); console.log(name.padEnd(28), ((performance.now() - t) * 1000 / N).toFixed(2), 'µs'); };
for (let r = 0; r < 2; r++) {
  time('regex', () => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$/.test(token));
  time('decodeProtectedHeader', () => decodeProtectedHeader(token));
  time('split', () => token.split('.'));
  time('decodeClaims', () => decodeClaims(p!));
  time('checkRegisteredClaims', () => checkRegisteredClaims(claims, { issuer: KAKAO_ISSUER, audiences: [TEST_AUDIENCE], requiredClaims: ['iat', 'jti', 'events'], now: new Date() }));
  time('valueNestsDeeperThan', () => valueNestsDeeperThan(claims, MAX_JSON_DEPTH));
  time('zod safeParse', () => setClaimsSchema.safeParse(claims));
  time('setToEvents', () => setToEvents(parsed, new Date()));
  time('Buffer.from latin1', () => Buffer.from(`${h}.${p}`, 'latin1'));
}
