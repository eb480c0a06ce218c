import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { newSecret } from '../helpers/forward-target.js';

/** A Standard Webhooks secret encoding `bytes` random bytes. */
function secretOf(bytes: number): string {
  return `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('base64')}`;
}

const S1 = newSecret();
const S2 = newSecret();
const S3 = newSecret();
const URL_A = 'https://app.example.com/hooks/kakao';

/** Throws ConfigError, or the test fails: a TypeError escaping loadConfig is a bug, not a refusal. */
function configErrorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  return expect.unreachable('the configuration was accepted');
}

const problemsOf = (env: Record<string, string>) => configErrorOf(env).problems;

/** No 8-character run of the secret's base64 appears in the text (the whsec_ prefix alone is allowed). */
function expectNoSecretIn(text: string, ...secrets: string[]): void {
  for (const secret of secrets) {
    const base64 = secret.slice('whsec_'.length);
    for (let at = 0; at + 8 <= base64.length; at++) expect(text).not.toContain(base64.slice(at, at + 8));
  }
}

function expectNoSecretInError(error: ConfigError, ...secrets: string[]): void {
  expectNoSecretIn(error.message, ...secrets);
  for (const problem of error.problems) expectNoSecretIn(problem, ...secrets);
}

describe('forwarding configuration: one target (FORWARD_URL, FORWARD_SECRET, FORWARD_EVENTS)', () => {
  it('is absent when no target is configured (empty counts as unset)', () => {
    expect(loadConfig({}).forwarding).toBeUndefined();
    expect(loadConfig({ FORWARD_URL: '', FORWARD_SECRET: '', FORWARD_EVENTS: '', FORWARD_TARGETS: '' }).forwarding).toBeUndefined();
  });

  it('FORWARD_URL with FORWARD_SECRET is one target named default, with every default', () => {
    expect(loadConfig({ FORWARD_URL: URL_A, FORWARD_SECRET: S1 }).forwarding).toEqual({
      targets: [{ name: 'default', url: URL_A, secrets: [S1], events: undefined, timeoutMs: 10_000 }],
      attempts: 20,
      backoffMs: 5000,
      maxBackoffMs: 3_600_000,
      concurrency: 4,
    });
  });

  it('takes the tuning variables as given', () => {
    const forwarding = loadConfig({
      FORWARD_URL: URL_A,
      FORWARD_SECRET: S1,
      FORWARD_TIMEOUT_MS: '2500',
      FORWARD_ATTEMPTS: '7',
      FORWARD_BACKOFF_MS: '250',
      FORWARD_MAX_BACKOFF_MS: '60000',
      FORWARD_CONCURRENCY: '9',
    }).forwarding;
    expect(forwarding).toEqual({
      targets: [{ name: 'default', url: URL_A, secrets: [S1], events: undefined, timeoutMs: 2500 }],
      attempts: 7,
      backoffMs: 250,
      maxBackoffMs: 60_000,
      concurrency: 9,
    });
  });

  it('reads FORWARD_EVENTS as a comma-separated list, blanks ignored', () => {
    const forwarding = loadConfig({ FORWARD_URL: URL_A, FORWARD_SECRET: S1, FORWARD_EVENTS: ' kakao.* ,logto.User.Created,, logto.Role.* ' }).forwarding;
    expect(forwarding?.targets[0]?.events).toEqual(['kakao.*', 'logto.User.Created', 'logto.Role.*']);
  });

  it.each([
    ['commas', `${S1},${S2}`],
    ['commas and blanks', ` ${S1} , ${S2} `],
    ['spaces', `${S1} ${S2}`],
    ['a line break', `${S1}\n${S2}`],
  ])('reads several secrets separated by %s, in order', (_name, value) => {
    expect(loadConfig({ FORWARD_URL: URL_A, FORWARD_SECRET: value }).forwarding?.targets[0]?.secrets).toEqual([S1, S2]);
  });

  it('accepts secrets of exactly 24 and 64 bytes', () => {
    const short = secretOf(24);
    const long = secretOf(64);
    expect(loadConfig({ FORWARD_URL: URL_A, FORWARD_SECRET: `${short},${long}` }).forwarding?.targets[0]?.secrets).toEqual([short, long]);
  });

  it('accepts http:// only with FORWARD_ALLOW_HTTP=true (or 1)', () => {
    for (const allow of ['true', '1']) {
      expect(loadConfig({ FORWARD_URL: 'http://127.0.0.1:8080/hooks', FORWARD_SECRET: S1, FORWARD_ALLOW_HTTP: allow }).forwarding?.targets[0]?.url).toBe(
        'http://127.0.0.1:8080/hooks',
      );
    }
  });

  it.each([
    ['FORWARD_URL without FORWARD_SECRET', { FORWARD_URL: URL_A }, /^FORWARD_SECRET: is required when FORWARD_URL is set/],
    ['FORWARD_SECRET without FORWARD_URL', { FORWARD_SECRET: S1 }, /^FORWARD_SECRET: is set but FORWARD_URL is not$/],
    ['FORWARD_EVENTS without FORWARD_URL', { FORWARD_EVENTS: 'kakao.*' }, /^FORWARD_EVENTS: is set but FORWARD_URL is not$/],
    ['a secret without the whsec_ prefix', { FORWARD_URL: URL_A, FORWARD_SECRET: S1.slice('whsec_'.length) }, /^FORWARD_SECRET: each secret must start with whsec_/],
    ['a secret in base64url', { FORWARD_URL: URL_A, FORWARD_SECRET: 'whsec_ab-_cdefghijklmnopqrstuvwxyzABCDEFGH' }, /^FORWARD_SECRET: each secret must be whsec_ followed by standard base64$/],
    ['a secret that is not base64 at all', { FORWARD_URL: URL_A, FORWARD_SECRET: 'whsec_not!base64?at*all' }, /^FORWARD_SECRET: each secret must be whsec_ followed by standard base64$/],
    ['a secret of 23 bytes', { FORWARD_URL: URL_A, FORWARD_SECRET: secretOf(23) }, /^FORWARD_SECRET: each secret must encode 24 to 64 bytes \(one encodes 23\)/],
    ['a secret of 65 bytes', { FORWARD_URL: URL_A, FORWARD_SECRET: secretOf(65) }, /^FORWARD_SECRET: each secret must encode 24 to 64 bytes \(one encodes 65\)/],
    ['a good secret next to a bad one', { FORWARD_URL: URL_A, FORWARD_SECRET: `${S1},${secretOf(16)}` }, /^FORWARD_SECRET: each secret must encode 24 to 64 bytes \(one encodes 16\)/],
    ['six secrets', { FORWARD_URL: URL_A, FORWARD_SECRET: [S1, S2, S3, newSecret(), newSecret(), newSecret()].join(',') }, /^FORWARD_SECRET: at most 5 secrets/],
    ['a FORWARD_SECRET holding only separators', { FORWARD_URL: URL_A, FORWARD_SECRET: ' , ' }, /^FORWARD_SECRET: needs at least one whsec_ secret$/],
    ['a FORWARD_EVENTS holding only separators', { FORWARD_URL: URL_A, FORWARD_SECRET: S1, FORWARD_EVENTS: ' , ' }, /^FORWARD_EVENTS: names no event/],
    ['FORWARD_ALLOW_HTTP=yes', { FORWARD_URL: URL_A, FORWARD_SECRET: S1, FORWARD_ALLOW_HTTP: 'yes' }, /^FORWARD_ALLOW_HTTP: must be true or false$/],
    ['FORWARD_TIMEOUT_MS of 99', { FORWARD_URL: URL_A, FORWARD_SECRET: S1, FORWARD_TIMEOUT_MS: '99' }, /^FORWARD_TIMEOUT_MS: must be at least 100 \(ms\)$/],
    ['FORWARD_TIMEOUT_MS of 120001', { FORWARD_URL: URL_A, FORWARD_SECRET: S1, FORWARD_TIMEOUT_MS: '120001' }, /^FORWARD_TIMEOUT_MS: must be at most 120000 \(ms\)$/],
    ['a fractional FORWARD_TIMEOUT_MS', { FORWARD_URL: URL_A, FORWARD_SECRET: S1, FORWARD_TIMEOUT_MS: '1000.5' }, /^FORWARD_TIMEOUT_MS: /],
    ['a FORWARD_TIMEOUT_MS that is no number', { FORWARD_URL: URL_A, FORWARD_SECRET: S1, FORWARD_TIMEOUT_MS: 'ten' }, /^FORWARD_TIMEOUT_MS: /],
    ['FORWARD_ATTEMPTS of 101', { FORWARD_URL: URL_A, FORWARD_SECRET: S1, FORWARD_ATTEMPTS: '101' }, /^FORWARD_ATTEMPTS: /],
    ['FORWARD_CONCURRENCY of 0', { FORWARD_URL: URL_A, FORWARD_SECRET: S1, FORWARD_CONCURRENCY: '0' }, /^FORWARD_CONCURRENCY: /],
  ])('refuses %s, naming the variable', (_name, env, expected) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(expected);
  });

  it('accepts FORWARD_TIMEOUT_MS at both bounds', () => {
    expect(loadConfig({ FORWARD_URL: URL_A, FORWARD_SECRET: S1, FORWARD_TIMEOUT_MS: '100' }).forwarding?.targets[0]?.timeoutMs).toBe(100);
    expect(loadConfig({ FORWARD_URL: URL_A, FORWARD_SECRET: S1, FORWARD_TIMEOUT_MS: '120000' }).forwarding?.targets[0]?.timeoutMs).toBe(120_000);
  });

  it('refuses an http:// FORWARD_URL unless FORWARD_ALLOW_HTTP=true', () => {
    for (const env of [{}, { FORWARD_ALLOW_HTTP: 'false' }, { FORWARD_ALLOW_HTTP: '0' }] as Record<string, string>[]) {
      const problems = problemsOf({ FORWARD_URL: 'http://app.example.com/hooks', FORWARD_SECRET: S1, ...env });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^FORWARD_URL: .*only https:\/\/ targets are allowed; set FORWARD_ALLOW_HTTP=true for http:\/\//);
    }
  });

  it('names FORWARD_URL once in the http:// refusal', () => {
    expect(problemsOf({ FORWARD_URL: 'http://app.example.com/hooks', FORWARD_SECRET: S1 })).toEqual([
      'FORWARD_URL: only https:// targets are allowed; set FORWARD_ALLOW_HTTP=true for http://',
    ]);
  });

  it('refuses a FORWARD_URL that is no URL with a ConfigError (not a TypeError from the cross-variable check)', () => {
    const problems = problemsOf({ FORWARD_URL: 'not a url', FORWARD_SECRET: S1 });
    expect(problems).toEqual(['FORWARD_URL: must be an http(s) URL']);
  });

  it('refuses a non-http(s) FORWARD_URL with one problem, without the FORWARD_ALLOW_HTTP advice', () => {
    expect(problemsOf({ FORWARD_URL: 'ftp://app.example.com/hooks', FORWARD_SECRET: S1 })).toEqual(['FORWARD_URL: must be an http(s) URL']);
  });

  it('refuses a FORWARD_EVENTS pattern that matches no known event, naming the pattern', () => {
    const problems = problemsOf({ FORWARD_URL: URL_A, FORWARD_SECRET: S1, FORWARD_EVENTS: 'kakao.*,logto.Usr.*' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^FORWARD_EVENTS: "logto\.Usr\.\*" matches no event name/);
  });

  it('refuses event names in the wrong case', () => {
    const problems = problemsOf({ FORWARD_URL: URL_A, FORWARD_SECRET: S1, FORWARD_EVENTS: 'logto.user.created' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^FORWARD_EVENTS: "logto\.user\.created" matches no event name/);
  });

  it('quotes no secret in any refusal of FORWARD_SECRET', () => {
    const cases = [secretOf(23), secretOf(65), secretOf(8), S1.slice('whsec_'.length), `whsec_${S1.slice('whsec_'.length).replace(/\+/g, '-').replace(/=+$/, '')}!`];
    for (const bad of cases) {
      const error = configErrorOf({ FORWARD_URL: URL_A, FORWARD_SECRET: `${S2},${bad}` });
      expect(error.problems).toHaveLength(1);
      expectNoSecretInError(error, bad, S2);
    }
  });

  it('reports every problem at once, each with its variable', () => {
    const problems = problemsOf({ FORWARD_URL: URL_A, FORWARD_SECRET: S1, FORWARD_TIMEOUT_MS: '50', FORWARD_ALLOW_HTTP: 'yes' });
    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual(['FORWARD_ALLOW_HTTP', 'FORWARD_TIMEOUT_MS']);
  });

  it('reports a forwarding problem together with problems of other modules', () => {
    const problems = problemsOf({ PORT: 'eighty', FORWARD_URL: URL_A, FORWARD_SECRET: secretOf(10) });
    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual(['FORWARD_SECRET', 'PORT']);
  });

  it('reports a missing FORWARD_SECRET together with problems of other variables', () => {
    const problems = problemsOf({ PORT: 'eighty', FORWARD_URL: URL_A, FORWARD_TIMEOUT_MS: '5' });
    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual(['FORWARD_SECRET', 'FORWARD_TIMEOUT_MS', 'PORT']);
  });
});

describe('forwarding configuration: several targets (FORWARD_TARGETS)', () => {
  const targets = (value: unknown, env: Record<string, string> = {}) => ({ FORWARD_TARGETS: JSON.stringify(value), ...env });

  it('reads several targets, each with its secret(s), events and timeout', () => {
    const forwarding = loadConfig(
      targets(
        [
          { name: 'app', url: URL_A, secret: S1, events: 'kakao.*, logto.User.*' },
          { name: 'audit_log-2', url: 'https://audit.example.com/in', secret: [S2, S3], events: ['logto.User.Created', 'logto.Role.Deleted'], timeoutMs: 2500 },
          { name: '0rotating', url: 'https://r.example.com/', secret: `${S3} ${S1}` },
        ],
        { FORWARD_TIMEOUT_MS: '3000', FORWARD_ATTEMPTS: '5' },
      ),
    ).forwarding;
    expect(forwarding).toEqual({
      targets: [
        { name: 'app', url: URL_A, secrets: [S1], events: ['kakao.*', 'logto.User.*'], timeoutMs: 3000 },
        { name: 'audit_log-2', url: 'https://audit.example.com/in', secrets: [S2, S3], events: ['logto.User.Created', 'logto.Role.Deleted'], timeoutMs: 2500 },
        { name: '0rotating', url: 'https://r.example.com/', secrets: [S3, S1], events: undefined, timeoutMs: 3000 },
      ],
      attempts: 5,
      backoffMs: 5000,
      maxBackoffMs: 3_600_000,
      concurrency: 4,
    });
  });

  it('accepts a name of 40 characters and an http:// target with FORWARD_ALLOW_HTTP=true', () => {
    const name = `a${'b'.repeat(39)}`;
    const forwarding = loadConfig(targets([{ name, url: 'http://10.0.0.5:8080/hooks', secret: S1 }], { FORWARD_ALLOW_HTTP: 'true' })).forwarding;
    expect(forwarding?.targets.map((target) => [target.name, target.url])).toEqual([[name, 'http://10.0.0.5:8080/hooks']]);
  });

  it.each([
    ['both FORWARD_TARGETS and FORWARD_URL', targets([{ name: 'app', url: URL_A, secret: S1 }], { FORWARD_URL: URL_A, FORWARD_SECRET: S1 }), /^FORWARD_TARGETS: set FORWARD_TARGETS or FORWARD_URL .*not both$/],
    ['FORWARD_TARGETS with FORWARD_EVENTS', targets([{ name: 'app', url: URL_A, secret: S1 }], { FORWARD_EVENTS: 'kakao.*' }), /^FORWARD_TARGETS: set FORWARD_TARGETS or FORWARD_URL .*not both$/],
    ['two targets of the same name', targets([{ name: 'app', url: URL_A, secret: S1 }, { name: 'app', url: 'https://b.example.com/', secret: S2 }]), /^FORWARD_TARGETS: two targets are named app; names must be unique$/],
    ['an upper-case target name', targets([{ name: 'App', url: URL_A, secret: S1 }]), /^FORWARD_TARGETS: lower-case letters, digits, - and _/],
    ['a target name of 41 characters', targets([{ name: 'a'.repeat(41), url: URL_A, secret: S1 }]), /^FORWARD_TARGETS: lower-case letters, digits, - and _/],
    ['a target name starting with -', targets([{ name: '-app', url: URL_A, secret: S1 }]), /^FORWARD_TARGETS: lower-case letters, digits, - and _/],
    ['an empty target name', targets([{ name: '', url: URL_A, secret: S1 }]), /^FORWARD_TARGETS: lower-case letters, digits, - and _/],
    ['an unknown key in a target (secrets for secret)', targets([{ name: 'app', url: URL_A, secret: S1, secrets: [S2] }]), /^FORWARD_TARGETS: .*secrets/],
    ['a target without a secret', targets([{ name: 'app', url: URL_A }]), /^FORWARD_TARGETS: /],
    ['a target with a bad secret', targets([{ name: 'app', url: URL_A, secret: [S1, 'whsec_c2hvcnQ='] }]), /^FORWARD_TARGETS: each secret must encode 24 to 64 bytes \(one encodes 5\)/],
    ['a target with an empty list of secrets', targets([{ name: 'app', url: URL_A, secret: [] }]), /^FORWARD_TARGETS: needs at least one whsec_ secret$/],
    ['a target with a timeoutMs of 50', targets([{ name: 'app', url: URL_A, secret: S1, timeoutMs: 50 }]), /^FORWARD_TARGETS: must be at least 100 \(ms\)$/],
    ['a target with a timeoutMs given as a string', targets([{ name: 'app', url: URL_A, secret: S1, timeoutMs: '5000' }]), /^FORWARD_TARGETS: /],
    ['a target with an event pattern matching nothing', targets([{ name: 'app', url: URL_A, secret: S1, events: ['kakao.*', 'logto.Usr.*'] }]), /^FORWARD_TARGETS: "logto\.Usr\.\*" matches no event name/],
    ['an http:// target', targets([{ name: 'app', url: 'http://app.example.com/hooks', secret: S1 }]), /^FORWARD_TARGETS: target app: only https:\/\/ targets are allowed; set FORWARD_ALLOW_HTTP=true/],
    ['an empty array', targets([]), /^FORWARD_TARGETS: holds no target$/],
    ['21 targets', targets(Array.from({ length: 21 }, (_, i) => ({ name: `t${i}`, url: URL_A, secret: S1 }))), /^FORWARD_TARGETS: at most 20 targets$/],
  ])('refuses %s, naming FORWARD_TARGETS', (_name, env, expected) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(expected);
  });

  it('refuses an http:// target among https ones, naming that target', () => {
    const problems = problemsOf(targets([{ name: 'app', url: URL_A, secret: S1 }, { name: 'local', url: 'http://127.0.0.1:9000/', secret: S2 }]));
    expect(problems).toEqual(['FORWARD_TARGETS: target local: only https:// targets are allowed; set FORWARD_ALLOW_HTTP=true for http://']);
  });

  // The cross-variable check runs even when FORWARD_TARGETS did not parse; it must not turn a
  // bad value into a TypeError (start-up would print a stack trace instead of the problem list).
  it.each([
    ['FORWARD_ALLOW_HTTP unset', {}],
    ['FORWARD_ALLOW_HTTP=true', { FORWARD_ALLOW_HTTP: 'true' }],
  ])('refuses invalid JSON with a ConfigError that quotes none of it (%s)', (_name, env) => {
    const text = `[{"name":"app","url":"${URL_A}","secret":"${S1}"},{"name":"b","secret":["${S2}"`;
    const error = configErrorOf({ FORWARD_TARGETS: text, ...env });
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^FORWARD_TARGETS: is not valid JSON/);
    expectNoSecretInError(error, S1, S2);
    expect(error.message).not.toContain(URL_A);
  });

  it.each([
    ['an object instead of an array', { name: 'app', url: URL_A, secret: S1 }],
    ['a string', 'app'],
    ['null', null],
  ])('refuses %s with a ConfigError', (_name, value) => {
    const problems = problemsOf(targets(value));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^FORWARD_TARGETS: must be a JSON array of targets/);
  });

  it('refuses a target URL that is no URL with a ConfigError (not a TypeError)', () => {
    const problems = problemsOf(targets([{ name: 'app', url: 'not a url', secret: S1 }]));
    expect(problems).toEqual(['FORWARD_TARGETS: must be an http(s) URL']);
  });

  it('quotes no secret when a target secret has a bad length or form', () => {
    for (const bad of [secretOf(23), secretOf(65), S1.slice('whsec_'.length)]) {
      const error = configErrorOf(targets([{ name: 'app', url: URL_A, secret: [S2, bad] }]));
      expect(error.problems).toHaveLength(1);
      expectNoSecretInError(error, bad, S2);
    }
  });

  it('reports every problem of every target at once', () => {
    const problems = problemsOf(
      targets([
        { name: 'App', url: URL_A, secret: S1 },
        { name: 'ok', url: URL_A, secret: S1, timeoutMs: 1 },
      ]),
    );
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).toMatch(/lower-case letters/);
    expect(problems.join('\n')).toMatch(/must be at least 100 \(ms\)/);
  });
});

describe('FORWARD_URL and target URLs with credentials', () => {
  it('are refused, without echoing the password', () => {
    const secret = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
    for (const env of [
      { FORWARD_URL: 'https://user:s3cr3t-pass@app.example/hooks', FORWARD_SECRET: secret },
      { FORWARD_TARGETS: JSON.stringify([{ name: 'app', url: 'https://user:s3cr3t-pass@app.example/hooks', secret }]) },
    ]) {
      let problems: string[] = [];
      try {
        loadConfig(env);
      } catch (error) {
        problems = (error as ConfigError).problems;
      }
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^FORWARD_(URL|TARGETS): .*must not hold a user name or password/);
      expect(problems.join('\n')).not.toContain('s3cr3t-pass');
    }
  });
});
