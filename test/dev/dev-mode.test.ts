import { existsSync, readdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DevModeError } from '../../src/dev/dev-mode-error.js';
import { devInstructions } from '../../src/dev/instructions.js';
import { devSecretsPath } from '../../src/dev/secrets.js';
import { startDevMode } from '../../src/dev/start-dev-mode.js';
import { startTestDevMode, tempDataDir, type TestDevMode } from './dev-mode-helpers.js';

describe('development mode', () => {
  let running: TestDevMode | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it('runs the service on the embedded store in DATA_DIR with every endpoint enabled, and the development JWKS fetched', async () => {
    running = await startTestDevMode();
    const { dev, dataDir } = running;
    expect(dev.config.store).toEqual({ kind: 'embedded', dataDir });
    expect(dev.config.kakaoAccountStatus).toMatchObject({ audiences: [dev.secrets.secrets.kakao.audience], jwks: { uri: dev.jwks.url } });
    expect(dev.config.kakaoAdmin).toMatchObject({ adminKeys: [dev.secrets.secrets.kakao.adminKey], appIds: [dev.secrets.secrets.kakao.appId] });
    expect(dev.config.logto?.signingKeys).toEqual([dev.secrets.secrets.logto.signingKey]);
    expect(dev.config.accounts.apiTokens).toEqual([dev.secrets.secrets.accountApiToken]);
    // Read-only in development too: ADMIN_ACTIONS=true turns the dashboard's actions on.
    expect(dev.config.admin).toEqual({ ...dev.secrets.secrets.dashboard, actions: false });
    // Loopback unless HOST says otherwise.
    expect(dev.config.http.host).toBe('127.0.0.1');
    expect(dev.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    // Ready: the store answers and the development key was fetched at start-up.
    const ready = await fetch(`${dev.baseUrl}/readyz`);
    expect(ready.status, await ready.text()).toBe(200);
    const jwks = (await (await fetch(dev.jwks.url)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kid: dev.secrets.secrets.kakao.signingKey.kid, kty: 'RSA' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
    // The JWKS listens on loopback only, and serves nothing else.
    expect(new URL(dev.jwks.url).hostname).toBe('127.0.0.1');
    expect((await fetch(new URL('/other', dev.jwks.url))).status).toBe(404);

    expect(dev.secrets.created).toBe(true);
    expect(existsSync(devSecretsPath(dataDir))).toBe(true);
  }, 60_000);

  it('keeps the development secrets across starts', async () => {
    running = await startTestDevMode();
    const first = running.dev.secrets.secrets;
    const dataDir = running.dataDir;
    await running.close({ keepDataDir: true });
    running = await startTestDevMode({}, dataDir);
    expect(running.dev.secrets.created).toBe(false);
    expect(running.dev.secrets.secrets).toEqual(first);
    const jwks = (await (await fetch(running.dev.jwks.url)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((key) => key.kid)).toEqual([first.kakao.signingKey.kid]);
  }, 60_000);

  it('ignores a store and secrets from the environment, says which, and keeps the rest of it', async () => {
    running = await startTestDevMode({
      REDIS_URL: 'redis://127.0.0.1:1',
      KAKAO_ADMIN_KEYS: 'configured-admin-key-0123456789',
      LOGTO_SIGNING_KEYS: 'configured-logto-key',
      KAKAO_JWKS_URI: 'https://kauth.kakao.com/.well-known/jwks.json',
      QUEUE_NAME: 'dev-events',
    });
    const { dev } = running;
    expect(dev.config.store.kind).toBe('embedded');
    expect(dev.config.kakaoAdmin?.adminKeys).toEqual([dev.secrets.secrets.kakao.adminKey]);
    expect(dev.config.logto?.signingKeys).toEqual([dev.secrets.secrets.logto.signingKey]);
    expect(dev.config.kakaoAccountStatus?.jwks.uri).toBe(dev.jwks.url);
    expect(dev.ignored.sort()).toEqual(['KAKAO_ADMIN_KEYS', 'KAKAO_JWKS_URI', 'LOGTO_SIGNING_KEYS', 'REDIS_URL']);
    expect(dev.config.queue.name).toBe('dev-events');
  }, 60_000);

  it('refuses NODE_ENV=production before it generates or opens anything', async () => {
    const dataDir = tempDataDir();
    try {
      const start = startDevMode({ env: { NODE_ENV: 'production', DATA_DIR: dataDir, PORT: '0' }, createLogger: () => pino({ level: 'silent' }) });
      await expect(start).rejects.toThrow(DevModeError);
      await expect(start).rejects.toMatchObject({ code: 'ERR_DEV_MODE_IN_PRODUCTION', message: expect.stringMatching(/refuses to start with NODE_ENV=production/) });
      expect(readdirSync(dataDir)).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the commands development mode prints', () => {
  const input = {
    secretsPath: '/x/dev/secrets.json',
    accountApiToken: 'dev-account-token-0123456789',
    dashboard: { user: 'dev', password: 'password-0123' },
    kid: 'dev-01234567',
    jwksUrl: 'http://127.0.0.1:40000/.well-known/jwks.json',
    sessionIssuedAt: new Date('2026-01-02T03:04:05.678Z'),
  };

  it('are the plain commands with the defaults', () => {
    const text = devInstructions({ ...input, baseUrl: 'http://127.0.0.1:3000', dataDir: './data' });
    expect(text).toContain('\n  npm run cli -- send kakao.account-disabled --user 1234567890\n');
    expect(text).toContain('\n  npm run cli -- send logto.User.Deleted --user u1\n');
    expect(text).toContain('\n  npm run cli -- send --list\n');
    expect(text).toContain(
      "curl -H 'authorization: Bearer dev-account-token-0123456789' 'http://127.0.0.1:3000/v1/accounts/kakao/1234567890/sessions/check?issuedAt=2026-01-02T03:04:05Z'",
    );
  });

  it('name a non-default data directory and address, so send finds the same secrets and service', () => {
    const text = devInstructions({ ...input, baseUrl: 'http://127.0.0.1:4321', dataDir: 'tmp/my data' });
    const dataDir = resolve('tmp/my data');
    expect(text).toContain(`\n  DATA_DIR='${dataDir}' npm run cli -- send kakao.account-disabled --user 1234567890 --to http://127.0.0.1:4321\n`);
    expect(text).toContain(`\n  DATA_DIR='${dataDir}' npm run cli -- send --list\n`);
    expect(text).toContain('http://127.0.0.1:4321/v1/accounts/logto/u1/sessions/check');
  });
});
