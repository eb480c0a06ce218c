import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';

describe('loadConfig', () => {
  it('has the documented defaults, and no Kakao endpoint without KAKAO_AUDIENCE', () => {
    const config = loadConfig({});
    expect(config.http).toEqual({ port: 3000, host: '0.0.0.0', bodyLimit: 64 * 1024, requestTimeoutMs: 10_000, maxConnections: 256 });
    expect(config.metrics).toEqual({ port: undefined, host: '127.0.0.1', cacheMs: 1000 });
    expect(config.store).toEqual({ kind: 'embedded', dataDir: './data' });
    expect(config.queue.name).toBe('webhook-events');
    expect(config.queue.dedupeWindowSeconds).toBe(7 * 24 * 3600);
    expect(config.logLevel).toBe('info');
    expect(config.kakaoAccountStatus).toBeUndefined();
  });

  it('enables Kakao with every listed audience and Kakao defaults', () => {
    const config = loadConfig({ KAKAO_AUDIENCE: ' rest-key , 123456 ,' });
    expect(config.kakaoAccountStatus).toMatchObject({
      issuer: 'https://kauth.kakao.com',
      audiences: ['rest-key', '123456'],
      algorithms: ['RS256'],
      jwks: { uri: 'https://kauth.kakao.com/.well-known/jwks.json', timeoutMs: 1000 },
    });
  });

  it('stores events in Redis when REDIS_URL is set, in PostgreSQL when DATABASE_URL is, else embedded in DATA_DIR', () => {
    expect(loadConfig({ REDIS_URL: 'redis://r:6379' }).store).toEqual({
      kind: 'redis',
      redis: { topology: { kind: 'single', url: 'redis://r:6379' }, prefix: '{bull}', durability: { replicas: 0, timeoutMs: 500 } },
    });
    expect(loadConfig({ DATABASE_URL: 'postgres://u@db/x' }).store).toEqual({ kind: 'postgres', url: 'postgres://u@db/x' });
    expect(loadConfig({ DATA_DIR: '/var/lib/receiver' }).store).toEqual({ kind: 'embedded', dataDir: '/var/lib/receiver' });
    expect(() => loadConfig({ REDIS_URL: 'redis://r', DATABASE_URL: 'postgres://db/x' })).toThrow(/not both/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://db/x' })).toThrow(/DATABASE_URL/);
  });

  it('accepts an http JWKS URI (tests serve their own)', () => {
    expect(loadConfig({ KAKAO_AUDIENCE: 'a', KAKAO_JWKS_URI: 'http://127.0.0.1:9999/jwks' }).kakaoAccountStatus?.jwks.uri).toBe('http://127.0.0.1:9999/jwks');
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', KAKAO_AUDIENCE: '' }).http.port).toBe(3000);
  });

  it('reports every problem at once, each with its variable', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', REDIS_URL: 'http://x', KAKAO_JWKS_URI: 'ftp://x', KAKAO_ALGORITHMS: 'RS256,HS256', JOB_ATTEMPTS: '0' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.map((p) => p.split(':')[0]);
    expect(problems.sort()).toEqual(['JOB_ATTEMPTS', 'KAKAO_ALGORITHMS', 'KAKAO_JWKS_URI', 'LOG_LEVEL', 'PORT', 'REDIS_URL']);
  });

  it.each(['none', 'HS256', 'HS512'])('never allows %s as a SET algorithm', (alg) => {
    expect(() => loadConfig({ KAKAO_AUDIENCE: 'a', KAKAO_ALGORITHMS: alg })).toThrow(/KAKAO_ALGORITHMS/);
  });

  it('bounds Kakao token age by the dedupe window, and refuses a Logto age bound past it', () => {
    expect(loadConfig({ KAKAO_AUDIENCE: 'a', DEDUPE_WINDOW_SECONDS: '3600' }).kakaoAccountStatus?.maxAgeSeconds).toBe(3600);
    expect(() => loadConfig({ DEDUPE_WINDOW_SECONDS: '300', LOGTO_MAX_AGE_SECONDS: '600' })).toThrow(/LOGTO_MAX_AGE_SECONDS/);
  });

  it('keeps the JWKS and queue waits together inside Kakao\'s 3 s deadline', () => {
    expect(() => loadConfig({ JWKS_TIMEOUT_MS: '2000', QUEUE_TIMEOUT_MS: '1000' })).toThrow(/QUEUE_TIMEOUT_MS/);
    expect(loadConfig({ JWKS_TIMEOUT_MS: '1500', QUEUE_TIMEOUT_MS: '1000' }).queue.timeoutMs).toBe(1000);
  });

  it('refuses a failed-job retention shorter than the dedupe window', () => {
    expect(() => loadConfig({ DEDUPE_WINDOW_SECONDS: '100', FAILED_JOB_RETENTION_SECONDS: '10' })).toThrow(/FAILED_JOB_RETENTION_SECONDS/);
  });
});
