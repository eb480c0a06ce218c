import { chmodSync, existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { devSecretsPath, DevSecretsError, loadOrCreateDevSecrets, publicJwkOf, readDevSecrets } from '../../src/dev/secrets.js';
import { tempDataDir } from './dev-mode-helpers.js';

describe('development secrets', () => {
  const dirs: string[] = [];
  const dataDir = () => {
    const dir = tempDataDir();
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('are generated once into DATA_DIR/dev/secrets.json, mode 0600 in a 0700 directory, and reused after', () => {
    const dir = dataDir();
    const first = loadOrCreateDevSecrets(dir);
    expect(first.created).toBe(true);
    expect(first.path).toBe(devSecretsPath(dir));
    expect(statSync(first.path).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(first.path)).mode & 0o777).toBe(0o700);
    expect(readdirSync(dirname(first.path))).toEqual(['secrets.json']); // no temporary file left

    const second = loadOrCreateDevSecrets(dir);
    expect(second.created).toBe(false);
    expect(second.secrets).toEqual(first.secrets);
    expect(readDevSecrets(dir)).toEqual(first.secrets);
  });

  it('hold an RS256 key with a dev- kid, and values each endpoint accepts', () => {
    const { secrets } = loadOrCreateDevSecrets(dataDir());
    expect(secrets.kakao.signingKey).toMatchObject({ kty: 'RSA', alg: 'RS256', kid: expect.stringMatching(/^dev-[0-9a-f]{8}$/) });
    expect(secrets.kakao.adminKey).toMatch(/^[0-9a-f]{32}$/);
    expect(secrets.kakao.appId).toMatch(/^[1-9][0-9]{6}$/);
    expect(secrets.accountApiToken.length).toBeGreaterThanOrEqual(16);
    expect(secrets.dashboard.password.length).toBeGreaterThanOrEqual(12);
    // The JWKS gets the public half only.
    const publicJwk = publicJwkOf(secrets.kakao.signingKey);
    expect(publicJwk).toMatchObject({ kty: 'RSA', kid: secrets.kakao.signingKey.kid, alg: 'RS256', use: 'sig', n: secrets.kakao.signingKey.n });
    for (const privatePart of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(publicJwk).not.toHaveProperty(privatePart);
  });

  it('differ from one data directory to the next', () => {
    const a = loadOrCreateDevSecrets(dataDir()).secrets;
    const b = loadOrCreateDevSecrets(dataDir()).secrets;
    expect(a.kakao.signingKey.kid).not.toBe(b.kakao.signingKey.kid);
    expect(a.logto.signingKey).not.toBe(b.logto.signingKey);
    expect(a.accountApiToken).not.toBe(b.accountApiToken);
  });

  it('narrow a widened file back to 0600 when read for development mode', () => {
    const dir = dataDir();
    const { path } = loadOrCreateDevSecrets(dir);
    chmodSync(path, 0o644);
    loadOrCreateDevSecrets(dir);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('are missing with ERR_DEV_SECRETS_MISSING and a hint where npm run dev never ran', () => {
    const dir = dataDir();
    const read = () => readDevSecrets(dir);
    expect(read).toThrow(DevSecretsError);
    expect(read).toThrow(expect.objectContaining({ code: 'ERR_DEV_SECRETS_MISSING' }));
    expect(read).toThrow(/run npm run dev first, or set DATA_DIR/);
    expect(existsSync(devSecretsPath(dir))).toBe(false); // reading never creates them
  });

  it('refuse a file they did not write with ERR_DEV_SECRETS_INVALID, and are not overwritten', () => {
    const dir = dataDir();
    const { path } = loadOrCreateDevSecrets(dir);
    writeFileSync(path, '{"version": 99}');
    expect(() => loadOrCreateDevSecrets(dir)).toThrow(expect.objectContaining({ code: 'ERR_DEV_SECRETS_INVALID' }));
    expect(() => readDevSecrets(dir)).toThrow(/delete it, and npm run dev generates new ones/);
    writeFileSync(path, 'not json');
    expect(() => readDevSecrets(dir)).toThrow(expect.objectContaining({ code: 'ERR_DEV_SECRETS_INVALID' }));
  });
});
