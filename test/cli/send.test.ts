import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { EVENT_NAMES } from '../../src/events/catalog.js';
import { api } from '../helpers/account-api.js';
import { waitFor } from '../helpers/wait-for.js';
import { startTestDevMode, tempDataDir, type TestDevMode } from '../dev/dev-mode-helpers.js';
import { captureStream, type CliRun } from './cli-helpers.js';

/** `npm run cli -- send ...`, in-process, with the environment the test names. */
async function send(argv: string[], env: Record<string, string | undefined>): Promise<CliRun> {
  const stdout = captureStream();
  const stderr = captureStream();
  const code = await runCli(['send', ...argv], {
    openQueue: () => Promise.reject(new Error('send must not open the store')),
    stdout: stdout.stream,
    stderr: stderr.stream,
    stdinIsTTY: false,
    confirm: () => Promise.reject(new Error('send must not ask')),
    env,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('send --list', () => {
  it('lists every typed event name once, grouped by provider, with its path', async () => {
    const run = await send(['--list'], {});
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    const listed = lines.filter((line) => line.startsWith('  ')).map((line) => line.trim().split(/\s+/)[0]);
    expect(listed.sort()).toEqual([...EVENT_NAMES].sort());
    expect(new Set(listed).size).toBe(listed.length);
    // Two groups, Kakao then Logto, each headed by the provider and its count.
    const headers = lines.filter((line) => !line.startsWith('  '));
    expect(headers).toEqual([
      `kakao (${[...EVENT_NAMES].filter((name) => name.startsWith('kakao.')).length})`,
      `logto (${[...EVENT_NAMES].filter((name) => name.startsWith('logto.')).length})`,
    ]);
    expect(run.stdout).toMatch(/\n {2}kakao\.account-disabled +POST \/webhooks\/kakao\/account-status\n/);
    expect(run.stdout).toMatch(/\n {2}kakao\.unlinked +POST \/webhooks\/kakao\/unlink\n/);
    expect(run.stdout).toMatch(/\n {2}logto\.User\.Deleted +POST \/webhooks\/logto\n/);
  });
});

describe('send, used wrongly', () => {
  it.each([
    [[], /give an event name/],
    [['kakao.nope'], /"kakao.nope" is not a typed event name \(send --list shows them all\)/],
    [['kakao.account-disabled', '--list'], /give an event name or --list, not both/],
    [['kakao.account-disabled', '--user', 'abc'], /--user: a Kakao user id is a positive decimal/],
    [['logto.User.Deleted', '--user', 'has space'], /--user: a Logto user id/],
    [['kakao.account-disabled', '--data', '[1]'], /expected a JSON object, not an array/],
    [['kakao.account-disabled', '--data', '{nope'], /expected a JSON object/],
    [['kakao.account-disabled', '--to', 'ftp://example.com'], /expected an http\(s\) URL/],
  ])('%j exits 2 and says why', async (argv, message) => {
    const run = await send(argv, {});
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('exits 1 with the way out when DATA_DIR holds no development secrets', async () => {
    const dataDir = tempDataDir();
    try {
      const run = await send(['kakao.account-disabled'], { DATA_DIR: dataDir });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`error: no development secrets in ${dataDir}/dev/secrets.json: run npm run dev first, or set DATA_DIR`);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('exits 1 when nothing answers at --to', async () => {
    const run = await send(['logto.User.Deleted', '--to', 'http://127.0.0.1:1'], { LOGTO_SIGNING_KEYS: 'configured-key' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: no answer from http:\/\/127\.0\.0\.1:1\/webhooks\/logto \(.+\): is npm run dev running, or is --to right\?\n$/);
  });

  it('reports a bad environment as a configuration error', async () => {
    const run = await send(['logto.User.Deleted'], { PORT: 'http' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Invalid configuration:\n {2}- PORT: /);
  });
});

describe('send to development mode', () => {
  let running: TestDevMode;
  let env: Record<string, string>;
  beforeAll(async () => {
    running = await startTestDevMode();
    env = { DATA_DIR: running.dataDir };
  }, 60_000);
  afterAll(async () => {
    await running?.close();
  });
  const to = () => ['--to', running.dev.baseUrl];
  const token = () => running.dev.secrets.secrets.accountApiToken;

  it('delivers every typed event name: each answered 2xx and handled as that type', async () => {
    const names = [...EVENT_NAMES];
    for (const [index, name] of names.entries()) {
      // A user of its own per event, so no event's effect hides another's.
      const user = name.startsWith('kakao.') ? String(4_000_000_000 + index) : `send-all-${index}`;
      const run = await send([name, '--user', user, ...to()], env);
      expect(run.code, `${name}: ${run.stderr}`).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^20[02] (OK|Accepted) {2}POST ${running.dev.baseUrl}/webhooks/\\S+ {2}${name.replaceAll('.', '\\.')} \\(user ${user}\\)\\n$`));
    }
    await waitFor(() => names.every((name) => running.received.some((event) => event.type === name)), {
      timeoutMs: 20_000,
      what: 'every event to reach the handlers',
    });
    expect(new Set(running.received.map((event) => event.type))).toEqual(new Set(names));
    // The unknown ones arrive as types no receiver knows.
    expect(running.received.find((event) => event.type === 'kakao.unknown')?.sourceType).toMatch(/unknown-test-event$/);
    expect(running.received.find((event) => event.type === 'logto.unknown')?.sourceType).toBe('Dev.UnknownTestEvent');
    // The built-in handler took every one of them too: nothing failed.
    const queue = running.dev.service.backend.createQueue(running.dev.config.queue.name, {});
    try {
      expect(await queue.getFailedCount()).toBe(0);
    } finally {
      await queue.close();
    }
  }, 120_000);

  it('names the user with --user, and each event is a new one', async () => {
    const before = running.received.length;
    for (let i = 0; i < 2; i += 1) expect((await send(['kakao.account-enabled', '--user', '4211111111', ...to()], env)).code).toBe(0);
    await waitFor(() => running.received.length >= before + 2, { what: 'two events' });
    const events = running.received.slice(before).filter((event) => event.type === 'kakao.account-enabled');
    expect(events.map((event) => event.subject?.id)).toEqual(['4211111111', '4211111111']);
    expect(events[0]!.id).not.toBe(events[1]!.id);
  });

  it('changes the account state and the session check as the walkthrough shows', async () => {
    const issuedAt = new Date(Date.now() - 60_000).toISOString();
    const check = async (provider: string, user: string) =>
      (await (await api(running.dev.baseUrl, `/v1/accounts/${provider}/${user}/sessions/check?issuedAt=${issuedAt}`, { token: token() })).json()) as {
        allowed: boolean;
        reason: string | null;
      };
    expect(await check('kakao', '5000000001')).toEqual(expect.objectContaining({ allowed: true, reason: null }));
    expect(await check('logto', 'walkthrough-user')).toEqual(expect.objectContaining({ allowed: true, reason: null }));

    expect((await send(['kakao.account-disabled', '--user', '5000000001', ...to()], env)).code).toBe(0);
    expect((await send(['logto.User.Deleted', '--user', 'walkthrough-user', ...to()], env)).code).toBe(0);

    await waitFor(async () => !(await check('kakao', '5000000001')).allowed, { what: 'the Kakao session to be refused' });
    expect(await check('kakao', '5000000001')).toMatchObject({ allowed: false, reason: 'account-disabled' });
    await waitFor(async () => !(await check('logto', 'walkthrough-user')).allowed, { what: 'the Logto session to be refused' });
    expect(await check('logto', 'walkthrough-user')).toMatchObject({ allowed: false, reason: 'account-deleted' });
    const account = (await (await api(running.dev.baseUrl, '/v1/accounts/kakao/5000000001', { token: token() })).json()) as { status: { value: string } };
    expect(account.status.value).toBe('disabled');
  });

  it('merges --data into the event data, objects key by key', async () => {
    const before = running.received.length;
    const lift = await send(['logto.User.SuspensionStatus.Updated', '--user', 'merge-user', '--data', '{"data":{"isSuspended":false},"extra":"kept"}', ...to()], env);
    expect(lift.code, lift.stderr).toBe(0);
    const reason = await send(['kakao.account-disabled', '--user', '5000000002', '--data', '{"reason":"bulk-account"}', ...to()], env);
    expect(reason.code, reason.stderr).toBe(0);
    await waitFor(() => running.received.length >= before + 2, { what: 'two events' });
    const events = running.received.slice(before);
    const suspension = events.find((event) => event.type === 'logto.User.SuspensionStatus.Updated');
    expect(suspension?.data).toMatchObject({ extra: 'kept', data: { id: 'merge-user', isSuspended: false, primaryEmail: 'merge-user@example.com' } });
    expect(events.find((event) => event.type === 'kakao.account-disabled')?.data).toMatchObject({
      reason: 'bulk-account',
      subject: { subject_type: 'iss-sub', sub: '5000000002' },
    });
  });

  it('exits 1 with the answer when the receiver refuses: a configured key that is not this receiver\'s', async () => {
    const logto = await send(['logto.User.Deleted', ...to()], { ...env, LOGTO_SIGNING_KEYS: 'another-instance-key' });
    expect(logto.code).toBe(1);
    expect(logto.stdout).toMatch(/^401 Unauthorized {2}POST /);
    expect(logto.stderr).toMatch(/^error: the receiver answered 401: \{.*"ERR_SIGNATURE_INVALID".*\}\n$/);
    const kakao = await send(['kakao.talk-channel.added', ...to()], { ...env, KAKAO_ADMIN_KEYS: 'another-instance-admin-key-0123' });
    expect(kakao.code).toBe(1);
    expect(kakao.stderr).toMatch(/answered 401: .*ERR_ADMIN_KEY_INVALID/);
  });

  it('uses configured keys when they are this receiver\'s, without the development secrets', async () => {
    const secrets = running.dev.secrets.secrets;
    const elsewhere = tempDataDir(); // no development secrets there
    try {
      const configured = { DATA_DIR: elsewhere, LOGTO_SIGNING_KEYS: `${secrets.logto.signingKey},old-key`, KAKAO_ADMIN_KEYS: secrets.kakao.adminKey, KAKAO_APP_ID: secrets.kakao.appId };
      expect((await send(['logto.PostSignIn', ...to()], configured)).code).toBe(0);
      expect((await send(['kakao.unlinked', '--user', '5000000003', ...to()], configured)).code).toBe(0);
      // A SET needs the development key, which is not there.
      const set = await send(['kakao.account-disabled', ...to()], configured);
      expect(set.code).toBe(1);
      expect(set.stderr).toMatch(/run npm run dev first/);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
