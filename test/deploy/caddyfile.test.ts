import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server, type ServerResponse } from 'node:http';
import { request } from 'node:https';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';

/**
 * deploy/Caddyfile, the only way in under docker-compose.yml: on PUBLIC_HOST it passes on the
 * webhooks and /healthz, and nothing else; the account API and the dashboard reach the receiver
 * only on the hostnames named for them.
 */
const ROOT = new URL('../..', import.meta.url).pathname;
const CADDYFILE = readFileSync(join(ROOT, 'deploy/Caddyfile'), 'utf8');

/** Paths that must never be passed on from PUBLIC_HOST. */
const INTERNAL_PATHS = ['/metrics', '/readyz', '/v1/accounts/kakao/1234', '/v1/accounts/changes', '/v1/sessions/check', '/admin/queues', '/admin/queues/api/queues', '/'];

/** The text of the block that opens at `open` (an index of `{`), without its braces. */
function blockAt(text: string, open: number): string {
  // Placeholders ({$NAME}, {$NAME:default}) hold braces that open no block.
  const masked = text.replace(/\{\$[^}\n]*\}/g, (placeholder) => '_'.repeat(placeholder.length));
  let depth = 0;
  for (let i = open; i < masked.length; i += 1) {
    if (masked[i] === '{') depth += 1;
    if (masked[i] === '}' && --depth === 0) return text.slice(open + 1, i);
  }
  throw new Error('unbalanced braces');
}
const withoutComments = CADDYFILE.split('\n').filter((line) => !line.trim().startsWith('#')).join('\n');

describe('deploy/Caddyfile, as written', () => {
  const siteStart = withoutComments.search(/^\S.*\{\s*$/m);
  const siteLine = withoutComments.slice(siteStart, withoutComments.indexOf('\n', siteStart));
  const site = blockAt(withoutComments, siteStart + siteLine.lastIndexOf('{'));
  const matchers = new Map(
    [...site.matchAll(/^\t@(\w+) \{([^]*?)\n\t\}/gm)].map(([, name, body]) => {
      const directive = (key: string) => body!.match(new RegExp(`^\\s*${key} (.*)$`, 'm'))?.[1]?.split(/\s+/) ?? [];
      return [name!, { host: directive('host'), path: directive('path') }];
    }),
  );
  const handles = [...site.matchAll(/^\thandle( @\w+)? \{/gm)].map((match) => ({
    matcher: match[1]?.trim().slice(1),
    body: blockAt(site, match.index! + match[0].length - 1),
  }));

  it('is one site: PUBLIC_HOST and the opt-in hostnames, which vanish when empty', () => {
    expect(siteLine.trim()).toBe('{$PUBLIC_HOST:localhost} {$ACCOUNT_API_HOST} {$ADMIN_HOST} {');
  });

  it('proxies only through named matchers, and answers 404 to everything else', () => {
    const proxying = handles.filter((handle) => handle.body.includes('reverse_proxy'));
    expect(proxying.length).toBeGreaterThan(0);
    for (const handle of proxying) expect(handle.matcher).toBeDefined();
    const fallback = handles.filter((handle) => handle.matcher === undefined);
    expect(fallback.map((handle) => handle.body.trim())).toEqual(['respond 404']);
  });

  it('passes on /webhooks/* and /healthz on PUBLIC_HOST, and no other path there', () => {
    const onPublic = [...matchers.entries()].filter(([, matcher]) => matcher.host.includes('{$PUBLIC_HOST:localhost}'));
    expect(onPublic.map(([name]) => name)).toEqual(['webhooks']);
    expect(onPublic[0]![1].path).toEqual(['/webhooks/*', '/healthz']);
    expect(handles.find((handle) => handle.matcher === 'webhooks')?.body).toContain('reverse_proxy');
  });

  it('serves the account API and the dashboard only on their own hostname, a never-served .invalid name when unset', () => {
    expect(matchers.get('accountApi')).toEqual({ host: ['{$ACCOUNT_API_HOST}', 'account-api.invalid'], path: ['/v1/accounts/*', '/v1/sessions/*'] });
    expect(matchers.get('dashboard')).toEqual({ host: ['{$ADMIN_HOST}', 'admin.invalid'], path: ['/admin/queues', '/admin/queues/*'] });
    expect([...matchers.keys()].sort()).toEqual(['accountApi', 'dashboard', 'webhooks']);
  });
});

/**
 * Caddy itself (Debian's caddy package; .ci/run installs it), on free ports with its local CA,
 * in front of a stub receiver that records what reaches it.
 */
const CADDY = '/usr/bin/caddy';
describe.skipIf(!existsSync(CADDY) && !process.env.CI)('deploy/Caddyfile, run by Caddy', () => {
  const reached: string[] = [];
  const streams = new Set<ServerResponse>();
  let upstream: Server;
  let upstreamPort: number;

  beforeAll(async () => {
    upstream = createHttpServer((req, res) => {
      reached.push(`${req.method} ${req.headers.host?.replace(/:\d+$/, '')} ${req.url}`);
      if (req.url === '/v1/accounts/changes') {
        // A change feed that sends one event and stays open: Caddy must pass the event on now.
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: first\n\n');
        streams.add(res);
        return;
      }
      res.end('from the receiver');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamPort = (upstream.address() as AddressInfo).port;
  });
  afterAll(async () => {
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });

  async function freePort(): Promise<number> {
    const server = createTcpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  interface Answer {
    status: number;
    body: string;
  }

  /** Caddy with the Caddyfile as it is, after global options that keep it to this test. */
  async function startCaddy(env: Record<string, string>) {
    const dir = mkdtempSync(join(tmpdir(), 'caddy-test-'));
    const [httpPort, httpsPort] = [await freePort(), await freePort()];
    const options = ['admin off', 'local_certs', 'skip_install_trust', `http_port ${httpPort}`, `https_port ${httpsPort}`];
    writeFileSync(join(dir, 'Caddyfile'), `{\n${options.map((option) => `\t${option}`).join('\n')}\n}\n\n${CADDYFILE}`);
    const output: string[] = [];
    const caddy: ChildProcess = spawn(CADDY, ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], {
      env: { PATH: process.env.PATH, HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config'), RECEIVER_UPSTREAM: `127.0.0.1:${upstreamPort}`, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    caddy.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    caddy.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const exited = new Promise<void>((resolve) => caddy.once('exit', () => resolve()));

    /**
     * An HTTPS request to `host` (TLS server name and Host header, unless `sni` names another),
     * on Caddy's port; for a stream, the answer's first chunk.
     */
    const send = (host: string, path: string, method = 'GET', sni = host) =>
      new Promise<Answer>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: httpsPort, path, method, servername: sni, headers: { host }, rejectUnauthorized: false, agent: false }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
            if (res.headers['content-type'] === 'text/event-stream') {
              resolve({ status: res.statusCode!, body });
              req.destroy();
            }
          });
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        });
        req.on('error', reject);
        req.end();
      });

    // Ready once the certificate from its local CA is in place and a request is answered.
    try {
      await waitFor(async () => (caddy.exitCode === null ? (await send(env.PUBLIC_HOST ?? 'localhost', '/healthz').catch(() => undefined))?.status : 'exited'), {
        timeoutMs: 20_000,
        what: 'Caddy to answer',
      });
      if (caddy.exitCode !== null) throw new Error(`Caddy exited with ${caddy.exitCode}`);
    } catch (error) {
      caddy.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`${(error as Error).message}; its output:\n${output.join('')}`);
    }
    return {
      send,
      async close() {
        // Caddy lets requests in flight finish before it exits: end the feeds it holds open.
        for (const stream of streams) stream.end();
        streams.clear();
        caddy.kill('SIGTERM');
        await exited;
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }

  it('on PUBLIC_HOST passes on the webhooks and /healthz, answers 404 to the rest, the account API and the dashboard included', async () => {
    const caddy = await startCaddy({ PUBLIC_HOST: 'localhost' });
    try {
      reached.length = 0;
      expect(await caddy.send('localhost', '/webhooks/logto', 'POST')).toEqual({ status: 200, body: 'from the receiver' });
      expect(await caddy.send('localhost', '/webhooks/kakao/unlink')).toEqual({ status: 200, body: 'from the receiver' });
      expect(await caddy.send('localhost', '/healthz')).toEqual({ status: 200, body: 'from the receiver' });
      for (const path of [...INTERNAL_PATHS, '/webhooks/../metrics', '/webhooks/%2e%2e/metrics']) {
        expect((await caddy.send('localhost', path)).status, path).toBe(404);
      }
      expect((await caddy.send('localhost', '/v1/sessions/check', 'POST')).status).toBe(404);
      // Caddy has no certificate for the stand-in names of the unset hostnames, and asked for
      // them over PUBLIC_HOST's connection, it passes nothing on either.
      for (const host of ['account-api.invalid', 'admin.invalid']) {
        await expect(caddy.send(host, '/v1/accounts/changes')).rejects.toThrow();
        expect((await caddy.send(host, '/v1/accounts/changes', 'GET', 'localhost')).body).not.toBe('from the receiver');
        expect((await caddy.send(host, '/admin/queues', 'GET', 'localhost')).body).not.toBe('from the receiver');
      }
      expect(reached).toEqual(['POST localhost /webhooks/logto', 'GET localhost /webhooks/kakao/unlink', 'GET localhost /healthz']);
    } finally {
      await caddy.close();
    }
  });

  it('serves the account API on ACCOUNT_API_HOST and the dashboard on ADMIN_HOST, each nothing else, and streams the change feed', async () => {
    const caddy = await startCaddy({ PUBLIC_HOST: 'localhost', ACCOUNT_API_HOST: 'accounts.localhost', ADMIN_HOST: 'admin.localhost' });
    try {
      reached.length = 0;
      expect(await caddy.send('accounts.localhost', '/v1/accounts/kakao/1234')).toEqual({ status: 200, body: 'from the receiver' });
      expect(await caddy.send('accounts.localhost', '/v1/sessions/check', 'POST')).toEqual({ status: 200, body: 'from the receiver' });
      expect(await caddy.send('accounts.localhost', '/v1/accounts/changes')).toEqual({ status: 200, body: 'data: first\n\n' });
      expect(await caddy.send('admin.localhost', '/admin/queues')).toEqual({ status: 200, body: 'from the receiver' });
      expect(await caddy.send('admin.localhost', '/admin/queues/api/queues')).toEqual({ status: 200, body: 'from the receiver' });
      const notThere: [string, string][] = [
        ['accounts.localhost', '/webhooks/logto'], ['accounts.localhost', '/admin/queues'], ['accounts.localhost', '/metrics'], ['accounts.localhost', '/healthz'],
        ['admin.localhost', '/webhooks/logto'], ['admin.localhost', '/v1/accounts/kakao/1234'], ['admin.localhost', '/metrics'], ['admin.localhost', '/readyz'],
        ['localhost', '/v1/accounts/kakao/1234'], ['localhost', '/admin/queues'], ['localhost', '/metrics'],
      ];
      for (const [host, path] of notThere) expect((await caddy.send(host, path)).status, `${host}${path}`).toBe(404);
      expect(reached).toEqual([
        'GET accounts.localhost /v1/accounts/kakao/1234',
        'POST accounts.localhost /v1/sessions/check',
        'GET accounts.localhost /v1/accounts/changes',
        'GET admin.localhost /admin/queues',
        'GET admin.localhost /admin/queues/api/queues',
      ]);
    } finally {
      await caddy.close();
    }
  });
});
