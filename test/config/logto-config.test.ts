import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';

describe('Logto configuration', () => {
  it('leaves the endpoint off when LOGTO_SIGNING_KEYS is unset or empty', () => {
    expect(loadConfig({}).logto).toBeUndefined();
    expect(loadConfig({ LOGTO_SIGNING_KEYS: '' }).logto).toBeUndefined();
  });

  it('reads comma-separated keys and the defaults', () => {
    expect(loadConfig({ LOGTO_SIGNING_KEYS: ' newKey , oldKey,' }).logto).toEqual({
      signingKeys: ['newKey', 'oldKey'],
      maxAgeSeconds: 600,
      maxFutureSeconds: 60,
      bodyLimit: 1024 * 1024,
    });
  });

  it('accepts a maximum age of 0 (bound disabled)', () => {
    expect(loadConfig({ LOGTO_SIGNING_KEYS: 'k', LOGTO_MAX_AGE_SECONDS: '0' }).logto?.maxAgeSeconds).toBe(0);
  });

  it('reports every problem at once, each with its variable', () => {
    let error: unknown;
    try {
      loadConfig({ LOGTO_SIGNING_KEYS: 'a key with spaces', LOGTO_MAX_AGE_SECONDS: '-1', LOGTO_BODY_LIMIT: '0' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.some((problem) => problem.startsWith('LOGTO_SIGNING_KEYS:'))).toBe(true);
    expect(problems.some((problem) => problem.startsWith('LOGTO_MAX_AGE_SECONDS:'))).toBe(true);
    expect(problems.some((problem) => problem.startsWith('LOGTO_BODY_LIMIT:'))).toBe(true);
    expect((error as Error).message).not.toContain('spaces');
  });

  it('refuses a value that holds no key instead of silently disabling the endpoint', () => {
    expect(() => loadConfig({ LOGTO_SIGNING_KEYS: ' , ' })).toThrow(/LOGTO_SIGNING_KEYS: is set but holds no key/);
  });
});
