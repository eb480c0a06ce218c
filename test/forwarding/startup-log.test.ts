import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_BACKEND } from '../helpers/backends.js';
import { newSecret } from '../helpers/forward-target.js';
import { useTestBackend } from '../helpers/receiver.js';
import { runService, type RunningService } from '../helpers/service.js';
import { testConfig } from '../helpers/test-config.js';

/**
 * The process that delivers names every forwarding target once at start: name, where it goes and
 * which events it gets, so an operator can check a deployment from its log. Never a secret, nor a
 * URL's path or query string (applications put tokens there).
 */
describe('the start-up log of forwarding', () => {
  const store = useTestBackend(DEFAULT_BACKEND);
  let running: RunningService | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  const secrets = [newSecret(), newSecret(), newSecret()];
  const QUERY_TOKEN = 'query-token-5b1e2f9c';
  const PATH_TOKEN = 'path-token-7c2d9e01';
  const targets = [
    { name: 'accounts', url: `https://accounts.example.com/hooks?token=${QUERY_TOKEN}#part`, secret: [secrets[0], secrets[1]] },
    { name: 'crm', url: `https://crm.example.com:8443/kakao-logto/${PATH_TOKEN}`, secret: secrets[2], events: ['logto.User.*', 'kakao.talk-channel.*'] },
  ];
  const config = () => testConfig({ ...store().env, FORWARD_TARGETS: JSON.stringify(targets) });

  it('names each target, the origin of its URL and its events, in one info line of the worker', async () => {
    running = await runService(config(), { role: 'worker', backend: store().backend });
    const lines = running.logs.filter((line) => String(line.msg).startsWith('forwarding events to'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      component: 'forward',
      msg: 'forwarding events to 2 targets: accounts at https://accounts.example.com (every event); crm at https://crm.example.com:8443 (logto.User.*, kakao.talk-channel.*)',
      targets: [
        { name: 'accounts', url: 'https://accounts.example.com', events: ['*'] },
        { name: 'crm', url: 'https://crm.example.com:8443', events: ['logto.User.*', 'kakao.talk-channel.*'] },
      ],
    });
    const everything = JSON.stringify(running.logs);
    for (const secret of secrets) {
      expect(everything).not.toContain(secret);
      expect(everything).not.toContain(secret.slice('whsec_'.length));
    }
    expect(everything).not.toContain(QUERY_TOKEN);
    expect(everything).not.toContain(PATH_TOKEN);
  });
});
