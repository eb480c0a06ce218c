import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';

describe('account-state configuration', () => {
  it('runs the built-in handler and serves no account API by default', () => {
    expect(loadConfig({}).accounts).toEqual({
      apiTokens: [],
      builtInHandlers: ['account-state'],
      changeFeed: { maxStreams: 64, maxStreamsPerToken: 16, maxBufferedBytes: 1024 * 1024, drainTimeoutMs: 5000 },
    });
  });

  it('reads rotation tokens and switches built-in handlers off', () => {
    const config = loadConfig({ ACCOUNT_API_TOKENS: ' aaaaaaaaaaaaaaaa , bbbbbbbbbbbbbbbb ', BUILT_IN_HANDLERS: 'none' });
    expect(config.accounts).toMatchObject({ apiTokens: ['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb'], builtInHandlers: [] });
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

  it('reads the change feed limits, and refuses limits that contradict each other, with every other problem', () => {
    const env = { CHANGE_FEED_MAX_STREAMS: '8', CHANGE_FEED_MAX_STREAMS_PER_TOKEN: '2', CHANGE_FEED_MAX_BUFFER_BYTES: '65536', CHANGE_FEED_DRAIN_TIMEOUT_MS: '2000' };
    expect(loadConfig(env).accounts.changeFeed).toEqual({ maxStreams: 8, maxStreamsPerToken: 2, maxBufferedBytes: 65536, drainTimeoutMs: 2000 });
    try {
      loadConfig({ ACCOUNT_API_TOKENS: 'aaaaaaaaaaaaaaaa', CHANGE_FEED_MAX_STREAMS: '300', CHANGE_FEED_MAX_STREAMS_PER_TOKEN: '400', CHANGE_FEED_MAX_BUFFER_BYTES: '10', PORT: 'x' });
      expect.unreachable();
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/CHANGE_FEED_MAX_STREAMS_PER_TOKEN: must not exceed CHANGE_FEED_MAX_STREAMS/);
      expect(problems).toMatch(/CHANGE_FEED_MAX_STREAMS: must be less than HTTP_MAX_CONNECTIONS/);
      expect(problems).toMatch(/CHANGE_FEED_MAX_BUFFER_BYTES: must be at least 1024/);
      expect(problems).toMatch(/PORT/);
    }
    // Without the account API there are no streams: fewer connections than the feed's default limit are fine.
    expect(loadConfig({ HTTP_MAX_CONNECTIONS: '20' }).http.maxConnections).toBe(20);
  });
});
