import * as crypto from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { basicAuth, basicCredentialsCheck, parseBasicCredentials } from '../../src/admin/basic-auth.js';
import { ADMIN_LOGIN_MAX_FAILURES } from '../../src/admin/login-throttle.js';

// Counts the constant-time comparisons; behaves exactly like the real one.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const ADMIN = { user: 'ops', password: 'correct-horse-battery' };
const basic = (userAndPassword: string) => `Basic ${Buffer.from(userAndPassword, 'utf8').toString('base64')}`;

describe('parseBasicCredentials', () => {
  it('splits at the first colon (RFC 7617: the password may hold colons), any case of the scheme', () => {
    expect(parseBasicCredentials(basic('ops:pa:ss'))).toEqual({ user: 'ops', password: 'pa:ss' });
    expect(parseBasicCredentials(`basic ${Buffer.from('ops:x').toString('base64')}`)).toEqual({ user: 'ops', password: 'x' });
    expect(parseBasicCredentials(basic('운영:비밀번호'))).toEqual({ user: '운영', password: '비밀번호' });
    expect(parseBasicCredentials(basic(':'))).toEqual({ user: '', password: '' });
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['another scheme', `Bearer ${Buffer.from('ops:x').toString('base64')}`],
    ['no colon', basic('opsx')],
    ['not base64', 'Basic ops:x'],
    ['the scheme alone', 'Basic '],
  ])('gives nothing for %s', (_name, header) => {
    expect(parseBasicCredentials(header)).toBeUndefined();
  });
});

describe('basicCredentialsCheck', () => {
  const admits = basicCredentialsCheck(ADMIN);

  it('admits exactly the configured user and password', () => {
    expect(admits(basic('ops:correct-horse-battery'))).toBe(true);
  });

  it.each([
    ['a wrong password', 'ops:correct-horse-batterx'],
    ['a password prefix', 'ops:correct-horse'],
    ['a longer password', 'ops:correct-horse-battery!'],
    ['a wrong user', 'opz:correct-horse-battery'],
    ['a different case of the user', 'OPS:correct-horse-battery'],
    ['user and password swapped', 'correct-horse-battery:ops'],
    ['empty credentials', ':'],
  ])('refuses %s', (_name, credentials) => {
    expect(admits(basic(credentials))).toBe(false);
  });

  it('refuses a missing or malformed header', () => {
    expect(admits(undefined)).toBe(false);
    expect(admits('Basic')).toBe(false);
    expect(admits('ops:correct-horse-battery')).toBe(false);
  });

  it('compares the user and the password in constant time, both of them, on equal-length digests, whatever is presented', () => {
    const compare = vi.mocked(crypto.timingSafeEqual);
    for (const header of [basic('ops:correct-horse-battery'), basic('nobody:x'), basic('ops:x'), undefined, 'Basic !!!']) {
      compare.mockClear();
      admits(header);
      expect(compare, String(header)).toHaveBeenCalledTimes(2);
      for (const [a, b] of compare.mock.calls) {
        expect((a as Buffer).length).toBe(32);
        expect((b as Buffer).length).toBe(32);
      }
    }
  });
});

/** A Fastify instance with a silent logger for each test, closed after it. */
function useSilentServer(): () => FastifyInstance {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  return () => (app = Fastify({ loggerInstance: pino({ level: 'silent' }) as FastifyBaseLogger }));
}

describe('basicAuth hook', () => {
  const silentServer = useSilentServer();

  /** A route inside a plugin with its own error handler, the way Bull Board registers its routes. */
  async function start() {
    const server = silentServer();
    await server.register(async (scope) => {
      scope.addHook('onRequest', basicAuth(ADMIN));
      await scope.register(async (inner) => {
        inner.setErrorHandler((_error, _request, reply) => reply.code(500).send({ swallowed: true }));
        inner.get('/', async () => ({ ok: true }));
      });
    }, { prefix: '/admin' });
    return server;
  }

  it('answers 401 with a Basic challenge for the realm "admin" and says nothing about what was wrong', async () => {
    const server = await start();
    for (const authorization of [undefined, basic('ops:wrong-password-0'), basic('root:correct-horse-battery'), 'Bearer x']) {
      const response = await server.inject({ url: '/admin', headers: authorization ? { authorization } : {} });
      expect(response.statusCode, String(authorization)).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Basic realm="admin"');
      expect(response.json()).toEqual({ error: 'ERR_ADMIN_UNAUTHORIZED', message: 'valid HTTP Basic credentials for the admin area are required' });
    }
  });

  it('lets the right credentials through to the route', async () => {
    const server = await start();
    const response = await server.inject({ url: '/admin', headers: { authorization: basic('ops:correct-horse-battery') } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ok: true });
    expect(response.headers['www-authenticate']).toBeUndefined();
  });
});

describe('basicAuth hook, throttled per address', () => {
  const silentServer = useSilentServer();

  async function start() {
    const server = silentServer();
    server.addHook('onRequest', basicAuth(ADMIN));
    server.get('/admin', async () => ({ ok: true }));
    return server;
  }
  const attempt = (server: FastifyInstance, remoteAddress: string, authorization?: string) =>
    server.inject({ url: '/admin', remoteAddress, headers: authorization ? { authorization } : {} });

  it(`answers 429 with Retry-After after ${ADMIN_LOGIN_MAX_FAILURES} wrong logins from one address, even to the right credentials; other addresses go on`, async () => {
    const server = await start();
    for (let i = 0; i < ADMIN_LOGIN_MAX_FAILURES; i++) {
      expect((await attempt(server, '198.51.100.7', basic(`ops:wrong-${i}`))).statusCode).toBe(401);
    }
    for (const authorization of [basic('ops:wrong-again'), basic('ops:correct-horse-battery')]) {
      const refused = await attempt(server, '198.51.100.7', authorization);
      expect(refused.statusCode).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(refused.json()).toEqual({ error: 'ERR_ADMIN_THROTTLED', message: 'too many failed logins from this address, retry later' });
    }
    expect((await attempt(server, '198.51.100.8', basic('ops:correct-horse-battery'))).statusCode).toBe(200);
    expect((await attempt(server, '198.51.100.8', basic('ops:wrong'))).statusCode).toBe(401);
  });

  it('counts neither successful logins nor requests without Authorization (the browser asking for the challenge)', async () => {
    const server = await start();
    for (let i = 0; i < 3 * ADMIN_LOGIN_MAX_FAILURES; i++) {
      expect((await attempt(server, '198.51.100.9', basic('ops:correct-horse-battery'))).statusCode).toBe(200);
      expect((await attempt(server, '198.51.100.9')).statusCode).toBe(401);
    }
    for (let i = 0; i < ADMIN_LOGIN_MAX_FAILURES - 1; i++) await attempt(server, '198.51.100.9', basic('ops:wrong'));
    expect((await attempt(server, '198.51.100.9', basic('ops:correct-horse-battery'))).statusCode).toBe(200);
  });
});
