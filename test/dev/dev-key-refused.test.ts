import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kakaoSetRequest } from '../../src/cli/send/kakao-set-request.js';
import { loadOrCreateDevSecrets, type DevSecrets } from '../../src/dev/secrets.js';
import { DEFAULT_BACKEND } from '../helpers/backends.js';
import { allJobs } from '../helpers/kakao-admin.js';
import { createTestKey, signSet, setClaims, startJwksServer, type JwksServer, type TestKey } from '../helpers/kakao-transmitter.js';
import { useTestBackend } from '../helpers/receiver.js';
import { runService, type RunningService } from '../helpers/service.js';
import { testConfig } from '../helpers/test-config.js';
import { tempDataDir } from './dev-mode-helpers.js';

/**
 * The development key is trusted only in development mode: a service started normally verifies
 * SETs against the JWKS it is configured with, which never holds the development key. Here that
 * is a JWKS with another key (Kakao's, in production), and the service even accepts the
 * development audience and issuer, so the key is the only thing that differs.
 */
describe('a token signed with the development key, in normal mode', () => {
  const store = useTestBackend(DEFAULT_BACKEND);
  let dataDir: string;
  let secrets: DevSecrets;
  let kakaoKey: TestKey;
  let jwks: JwksServer;
  let running: RunningService;

  beforeAll(async () => {
    dataDir = tempDataDir();
    secrets = loadOrCreateDevSecrets(dataDir).secrets;
    kakaoKey = await createTestKey('kakao-key-1');
    jwks = await startJwksServer([kakaoKey]);
    const config = testConfig({
      ...store().env,
      KAKAO_ISSUER: secrets.kakao.issuer,
      KAKAO_AUDIENCE: secrets.kakao.audience,
      KAKAO_JWKS_URI: jwks.url,
      // Refetch on an unknown kid at once: the answer is then the final 400, not the 503 of a
      // refetch cooling down (which refuses the token too, for now).
      JWKS_COOLDOWN_MS: '0',
    });
    running = await runService(config);
  }, 60_000);

  afterAll(async () => {
    await running?.close();
    await jwks?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is refused with 400 invalid_key, even after a fresh look at the JWKS, and nothing is queued', async () => {
    const request = await kakaoSetRequest('kakao.account-disabled', { user: '1234567890', data: {}, now: new Date() }, secrets.kakao);
    const fetchesBefore = jwks.requests;
    const response = await fetch(`${running.baseUrl}${request.path}`, { method: 'POST', headers: request.headers, body: request.body });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ err: 'invalid_key' });
    expect(jwks.requests).toBeGreaterThan(fetchesBefore); // it looked for the kid, and it is not there
    expect(await allJobs(running.inspect)).toHaveLength(0);
    expect(running.received).toHaveLength(0);
  });

  it('is not accepted with the default JWKS settings either: 503 while the refetch cools down', async () => {
    const config = testConfig({ ...store().env, KAKAO_ISSUER: secrets.kakao.issuer, KAKAO_AUDIENCE: secrets.kakao.audience, KAKAO_JWKS_URI: jwks.url });
    const defaults = await runService(config);
    try {
      const request = await kakaoSetRequest('kakao.account-disabled', { user: '1234567890', data: {}, now: new Date() }, secrets.kakao);
      const response = await fetch(`${defaults.baseUrl}${request.path}`, { method: 'POST', headers: request.headers, body: request.body });
      expect(response.status).toBe(503);
      expect(await allJobs(defaults.inspect)).toHaveLength(0);
    } finally {
      await defaults.close();
    }
  });

  it('while the same claims signed with the configured key are accepted', async () => {
    const token = await signSet(kakaoKey, setClaims({ iss: secrets.kakao.issuer, aud: secrets.kakao.audience }));
    const response = await fetch(`${running.baseUrl}/webhooks/kakao/account-status`, {
      method: 'POST',
      headers: { 'content-type': 'application/secevent+jwt' },
      body: token,
    });
    expect(response.status).toBe(202);
  });
});
