import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import semver from 'semver';
import ts from 'typescript';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAccountClient } from '../../src/accounts/client/index.js';
import { DEFAULT_BACKEND } from '../helpers/backends.js';
import { useTestBackend } from '../helpers/receiver.js';
import { waitFor } from '../helpers/wait-for.js';
import { newUserId, passwordReset, postLogtoEvent, suspension, TOKEN, useAccountService } from '../accounts/client/fixture.js';
import { startNode, type NodeProcess } from './node-process.js';
import { ROOT, run } from './packed-project.js';

/**
 * The account client as its own package (packages/account-client), as an application gets it:
 * `npm pack ./packages/account-client` (whose `prepack` builds it), the tarball installed into a
 * project outside this repository with its one dependency and nothing of the server's, imported
 * by name in a Node process of its own, against the running service.
 */
const CLIENT_NAME = 'kakao-logto-account-client';

interface Manifest {
  name: string;
  type?: string;
  engines?: Record<string, string>;
  exports?: Record<string, string | Record<string, string>>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  bundleDependencies?: unknown;
  bundledDependencies?: unknown;
}

const rootManifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest & { dependencies: Record<string, string> };

let dir: string;
/** The application: a project of its own, outside this repository (no node_modules above it). */
let project: string;
/** The installed package, as npm lays it out from the tarball. */
let installed: string;
let manifest: Manifest;
/** What `npm pack` put in the tarball. */
let files: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'account-client-package-'));
  // With scripts: the package's `prepack` builds it, as for anyone who packs it from a clone.
  // --silent keeps the scripts' banners off stdout, which is then the JSON alone.
  const output = await run('npm', ['pack', './packages/account-client', '--json', '--silent', '--pack-destination', dir], ROOT);
  const [packed] = JSON.parse(output) as [{ filename: string; files: { path: string }[] }];
  files = packed.files.map((file) => file.path);

  // Installed offline, laid out as `npm install <tarball>` lays it out: the tarball's contents in
  // node_modules/<name>, and its one dependency beside it, copied from this repository's install.
  project = join(dir, 'app');
  installed = join(project, 'node_modules', CLIENT_NAME);
  mkdirSync(installed, { recursive: true });
  await run('tar', ['-xzf', join(dir, packed.filename), '-C', installed, '--strip-components=1'], dir);
  manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Manifest;
  for (const dependency of Object.keys(manifest.dependencies ?? {})) {
    cpSync(join(ROOT, 'node_modules', dependency), join(project, 'node_modules', dependency), { recursive: true, dereference: true });
  }
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'app', private: true, type: 'module', dependencies: { [CLIENT_NAME]: `file:${join(dir, packed.filename)}` } }, null, 2),
  );
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Every module a compiled file names: imports, re-exports, dynamic imports, require() and type references. */
function specifiers(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(join(installed, file), 'utf8'), true, true);
  // A `/// <reference lib>` would make the application compile with that lib: none is declared.
  return [...info.importedFiles, ...info.typeReferenceDirectives].map((reference) => reference.fileName).concat(info.libReferenceDirectives.map((lib) => `lib:${lib.fileName}`));
}

describe('the packed account client', () => {
  it('depends on eventsource-parser alone, in the range the server declares, and runs on the same Node versions', () => {
    expect(manifest.name).toBe(CLIENT_NAME);
    expect(manifest.type).toBe('module');
    expect(manifest.dependencies).toEqual({ 'eventsource-parser': rootManifest.dependencies['eventsource-parser'] });
    for (const field of ['peerDependencies', 'optionalDependencies', 'bundleDependencies', 'bundledDependencies'] as const) expect(manifest[field], field).toBeUndefined();
    expect(manifest.engines).toEqual(rootManifest.engines);
    // The copy installed beside it here is in that range.
    const parser = JSON.parse(readFileSync(join(project, 'node_modules', 'eventsource-parser', 'package.json'), 'utf8')) as { version: string };
    expect(semver.satisfies(parser.version, manifest.dependencies!['eventsource-parser']!)).toBe(true);
  });

  it('holds compiled code with its declarations, and its entry point resolves to both', () => {
    for (const path of files) expect(path).toMatch(/^(dist\/.+\.(js|d\.ts)|README\.md|package\.json)$/);
    const code = files.filter((path) => path.endsWith('.js'));
    expect(code.length).toBeGreaterThan(0);
    // Every module has its types, so a TypeScript application sees the whole API.
    expect(code.map((path) => path.replace(/\.js$/, '.d.ts')).filter((path) => !files.includes(path))).toEqual([]);
    expect(manifest.exports?.['.']).toEqual({ types: './dist/accounts/client/index.d.ts', default: './dist/accounts/client/index.js' });
    expect(files).toEqual(expect.arrayContaining(['dist/accounts/client/index.js', 'dist/accounts/client/index.d.ts']));
  });

  it('names no module but its own files, node: built-ins and its declared dependency, in its code and its declarations', () => {
    const declared = new Set(Object.keys(manifest.dependencies ?? {}));
    const outside: string[] = [];
    let checked = 0;
    for (const file of files.filter((path) => /\.(js|d\.ts)$/.test(path))) {
      for (const specifier of specifiers(file)) {
        checked += 1;
        if (specifier.startsWith('.')) {
          const target = posix.join(posix.dirname(file), specifier);
          // A declaration names the module's .js; its .d.ts is what the compiler reads.
          if (files.includes(target) && (file.endsWith('.js') || files.includes(target.replace(/\.js$/, '.d.ts')))) continue;
        } else if (specifier.startsWith('node:')) {
          continue;
        } else {
          const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
          if (declared.has(name)) continue;
        }
        outside.push(`${file} → ${specifier}`);
      }
    }
    expect(checked).toBeGreaterThan(0);
    expect(outside).toEqual([]);
  });

  it('type-checks in an application of its own, declarations included', async () => {
    writeFileSync(
      join(project, 'typed.ts'),
      `import { AccountClientError, createAccountClient, createSessionGuard, type AccountChange, type AccountState, type SessionCheck, type ForwardedEvent } from '${CLIENT_NAME}';
       const accounts = createAccountClient({ baseUrl: 'http://127.0.0.1:1', token: 't' });
       export const state: Promise<AccountState | null> = accounts.get('kakao', '1');
       export const check: Promise<SessionCheck> = createSessionGuard({ client: accounts }).check({ provider: 'logto', userId: 'u', issuedAt: new Date() });
       export const status = (change: AccountChange, event: ForwardedEvent) => [change.status, event.type] as const;
       export const isClientError = (error: unknown) => error instanceof AccountClientError && error.status === 401;
       // @ts-expect-error: only the two providers
       accounts.get('google', '1');`,
    );
    // Node's global types (fetch, AbortSignal), as any Node application in TypeScript has them.
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2023'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules', '@types')],
        },
        files: ['typed.ts'],
      }),
    );
    await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], project);
  }, 60_000);
});

describe('the installed account client, in a process of its own, against the running service', () => {
  const store = useTestBackend(DEFAULT_BACKEND);
  const service = useAccountService(store);
  const processes: NodeProcess[] = [];

  afterEach(() => {
    for (const started of processes.splice(0)) started.child.kill('SIGKILL');
  });

  it('imports by name with nothing of the server installed, reads state and session checks, and follows the change feed', async () => {
    const baseUrl = service().baseUrl;
    const userId = newUserId();
    const revokedAt = new Date().toISOString();
    await postLogtoEvent(baseUrl, passwordReset(userId, revokedAt));
    const inTest = createAccountClient({ baseUrl, token: TOKEN });
    await waitFor(async () => (await inTest.get('logto', userId))?.sessionsRevokedAt === revokedAt, { what: 'the revocation to be stored' });

    const script = join(project, 'consumer.mjs');
    writeFileSync(
      script,
      `import { AccountClientError, createAccountClient, createSessionGuard } from '${CLIENT_NAME}';
       const { BASE_URL: baseUrl, TOKEN: token, USER_ID: userId, ISSUED_AT } = process.env;
       const print = (value) => console.log(JSON.stringify(value));
       const serverInstalled = await import('fastify').then(() => true, () => false);
       const accounts = createAccountClient({ baseUrl, token });
       const session = { provider: 'logto', userId, issuedAt: Number(ISSUED_AT) };
       const state = await accounts.get('logto', userId);
       const check = await accounts.checkSession(session);
       const refused = await createAccountClient({ baseUrl, token: 'not-a-token-of-the-service' }).get('logto', userId)
         .then(() => 'answered', (error) => ({ isClientError: error instanceof AccountClientError, status: error.status }));
       const guard = createSessionGuard({ client: accounts });
       await guard.ready();
       const guarded = await guard.check(session);
       await guard.close();
       print({ serverInstalled, state, check, refused, guarded });
       // The change feed (Server-Sent Events, read with eventsource-parser): this user's next change.
       const feed = new AbortController();
       await accounts.subscribeChanges({
         onReady: () => print({ feedReady: true }),
         onChange: (change) => {
           if (change.userId !== userId) return;
           print({ change });
           feed.abort();
         },
       }, feed.signal);`,
    );
    const issuedAt = Date.parse(revokedAt) - 60_000;
    const consumer = startNode([script], { cwd: project, env: { BASE_URL: baseUrl, TOKEN, USER_ID: userId, ISSUED_AT: String(issuedAt) } });
    processes.push(consumer);

    const read = await consumer.jsonLine((line) => 'state' in line, 'the state and session checks');
    const refusedCheck = { allowed: false, reason: 'sessions-revoked', revokedAt, status: 'active' };
    expect(read).toEqual({
      serverInstalled: false,
      state: expect.objectContaining({ provider: 'logto', userId, sessionsRevokedAt: revokedAt, status: { value: 'active', at: null } }),
      check: refusedCheck,
      refused: { isClientError: true, status: 401 },
      guarded: refusedCheck,
    });

    await consumer.jsonLine((line) => line.feedReady === true, 'the change feed');
    await postLogtoEvent(baseUrl, suspension(userId));
    const { change } = await consumer.jsonLine((line) => 'change' in line, 'the suspension on the change feed');
    expect(change).toMatchObject({ provider: 'logto', userId, status: 'disabled', eventType: 'logto.User.SuspensionStatus.Updated' });
    expect(await consumer.exited).toBe(0);
  });
});
