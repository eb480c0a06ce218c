import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';

const PASSWORD = 'correct-horse-battery';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  return expect.unreachable('the configuration was accepted');
}

describe('queue dashboard configuration', () => {
  it('is absent unless ADMIN_USER and ADMIN_PASSWORD are set (empty counts as unset)', () => {
    expect(loadConfig({}).admin).toBeUndefined();
    expect(loadConfig({ ADMIN_USER: '', ADMIN_PASSWORD: '' }).admin).toBeUndefined();
  });

  it('holds both credentials when both are set', () => {
    expect(loadConfig({ ADMIN_USER: 'ops', ADMIN_PASSWORD: PASSWORD }).admin).toEqual({ user: 'ops', password: PASSWORD, actions: false });
    // Exactly 12 characters is enough; a colon is allowed in the password (only the user ends at one).
    expect(loadConfig({ ADMIN_USER: 'ops', ADMIN_PASSWORD: 'abc:def:ghij' }).admin).toEqual({ user: 'ops', password: 'abc:def:ghij', actions: false });
  });

  it('is read-only unless ADMIN_ACTIONS is true (or 1)', () => {
    const admin = (ADMIN_ACTIONS?: string) => loadConfig({ ADMIN_USER: 'ops', ADMIN_PASSWORD: PASSWORD, ...(ADMIN_ACTIONS === undefined ? {} : { ADMIN_ACTIONS }) }).admin;
    expect(admin()?.actions).toBe(false);
    expect(admin('false')?.actions).toBe(false);
    expect(admin('true')?.actions).toBe(true);
    expect(admin('1')?.actions).toBe(true);
  });

  it.each([
    ['ADMIN_ACTIONS that is not a boolean', { ADMIN_USER: 'ops', ADMIN_PASSWORD: PASSWORD, ADMIN_ACTIONS: 'yes' }, /^ADMIN_ACTIONS: must be true or false$/],
    ['ADMIN_USER without ADMIN_PASSWORD', { ADMIN_USER: 'ops' }, /^ADMIN_PASSWORD: is required when ADMIN_USER is set/],
    ['ADMIN_PASSWORD without ADMIN_USER', { ADMIN_PASSWORD: PASSWORD }, /^ADMIN_USER: is required when ADMIN_PASSWORD is set/],
    ['ADMIN_USER with an empty ADMIN_PASSWORD', { ADMIN_USER: 'ops', ADMIN_PASSWORD: '' }, /^ADMIN_PASSWORD: is required/],
    ['a password of 11 characters', { ADMIN_USER: 'ops', ADMIN_PASSWORD: 'abcdefghijk' }, /^ADMIN_PASSWORD: must be at least 12 characters$/],
    ['a colon in the user', { ADMIN_USER: 'ops:admin', ADMIN_PASSWORD: PASSWORD }, /^ADMIN_USER: must not contain a colon/],
    ['a line break in the password', { ADMIN_USER: 'ops', ADMIN_PASSWORD: `${PASSWORD}\n` }, /^ADMIN_PASSWORD: must not contain control characters$/],
  ])('refuses %s, naming the variable', (_name, env, expected) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(expected);
  });

  it('reports a missing half together with every other problem', () => {
    const problems = problemsOf({ PORT: 'eighty', ADMIN_USER: 'ops' });
    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual(['ADMIN_PASSWORD', 'PORT']);
  });
});
