import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';

describe('account-state configuration', () => {
  it('runs the built-in handler and serves no account API by default', () => {
    expect(loadConfig({}).accounts).toEqual({ apiTokens: [], builtInHandlers: ['account-state'] });
  });

  it('reads rotation tokens and switches built-in handlers off', () => {
    const config = loadConfig({ ACCOUNT_API_TOKENS: ' aaaaaaaaaaaaaaaa , bbbbbbbbbbbbbbbb ', BUILT_IN_HANDLERS: 'none' });
    expect(config.accounts).toEqual({ apiTokens: ['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb'], builtInHandlers: [] });
    expect(loadConfig({ BUILT_IN_HANDLERS: 'account-state' }).accounts.builtInHandlers).toEqual(['account-state']);
  });

  it('reports a short token and an unknown handler name together', () => {
    try {
      loadConfig({ ACCOUNT_API_TOKENS: 'short', BUILT_IN_HANDLERS: 'account-state,mailer' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/ACCOUNT_API_TOKENS: each account API token must be at least 16/);
      expect(problems).toMatch(/BUILT_IN_HANDLERS: each name must be one of account-state/);
    }
  });
});
