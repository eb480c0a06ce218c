import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/queue/backend.js';

describe('redactUrl', () => {
  it('hides passwords in userinfo and in libpq query parameters', () => {
    const shown = redactUrl('postgres://app:s3cret@db:5432/hooks?sslmode=require&password=p2&sslpassword=p3');
    expect(shown).not.toMatch(/s3cret|p2|p3/);
    expect(shown).toContain('app:***@db:5432/hooks');
    expect(shown).toContain('sslmode=require');
  });

  it('leaves a URL without a password as it is', () => {
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });
});
