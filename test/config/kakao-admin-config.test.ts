import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';

const KEY = '0123456789abcdef0123456789abcdef';

describe('Kakao admin webhook configuration', () => {
  it('is absent without KAKAO_ADMIN_KEYS (also when empty)', () => {
    expect(loadConfig({}).kakaoAdmin).toBeUndefined();
    expect(loadConfig({ KAKAO_ADMIN_KEYS: '' }).kakaoAdmin).toBeUndefined();
  });

  it('reads comma-separated keys and app ids, trimmed, with a one-hour unlink window by default', () => {
    const config = loadConfig({ KAKAO_ADMIN_KEYS: ` ${KEY} , ${KEY.toUpperCase()},`, KAKAO_APP_ID: '1, 2' });
    expect(config.kakaoAdmin).toEqual({ adminKeys: [KEY, KEY.toUpperCase()], appIds: ['1', '2'], unlinkDedupeSeconds: 3600 });
  });

  it('accepts any app id when KAKAO_APP_ID is unset', () => {
    expect(loadConfig({ KAKAO_ADMIN_KEYS: KEY }).kakaoAdmin?.appIds).toEqual([]);
  });

  it.each([
    ['KAKAO_APP_ID without KAKAO_ADMIN_KEYS', { KAKAO_APP_ID: '1' }, 'KAKAO_APP_ID'],
    ['a key too short to be an admin key', { KAKAO_ADMIN_KEYS: `${KEY},short` }, 'KAKAO_ADMIN_KEYS'],
    ['a zero unlink window', { KAKAO_ADMIN_KEYS: KEY, KAKAO_UNLINK_DEDUPE_SECONDS: '0' }, 'KAKAO_UNLINK_DEDUPE_SECONDS'],
  ])('refuses %s, naming the variable', (_name, env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(variable);
  });
});
