import { randomUUID } from 'node:crypto';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { API_TOKEN, kakaoEvent } from '../helpers/account-api.js';
import { BACKENDS, TEST_REDIS_URL } from '../helpers/backends.js';
import { createTestKey, startJwksServer, TEST_AUDIENCE, type JwksServer, type TestKey } from '../helpers/kakao-transmitter.js';
import { freePort } from '../helpers/redis-server.js';
import { postSetOverHttp } from '../helpers/service.js';
import { waitFor } from '../helpers/wait-for.js';
import { startNode, type NodeProcess } from './node-process.js';
import { PACKAGE_NAME, packAndInstall, run, type PackedProject } from './packed-project.js';

/**
 * The published package as users meet it: `npm pack`, installed from the tarball into a project
 * of its own (a copy of examples/custom-handlers), imported by name, started with a handler, and
 * a signed Kakao event handled. The same install type-checks and runs the example, and plays the
 * stock image extended by a mounted HANDLERS_MODULE file.
 */
let packed: PackedProject;
let key: TestKey;
let jwks: JwksServer;
const processes: NodeProcess[] = [];

beforeAll(async () => {
  [packed, key] = await Promise.all([packAndInstall(), createTestKey('kakao-key-1')]);
  jwks = await startJwksServer([key]);
}, 180_000);

afterEach(() => {
  for (const started of processes.splice(0)) started.child.kill('SIGKILL');
});

afterAll(async () => {
  await jwks?.close();
  packed?.cleanup();
});

/** The service's variables: a real store (Redis where it runs, else an embedded one of its own), our JWKS. */
async function serviceEnv(): Promise<{ env: Record<string, string>; url: string }> {
  const port = await freePort();
  const store: Record<string, string> = BACKENDS.includes('redis') ? { REDIS_URL: TEST_REDIS_URL } : { DATA_DIR: join(packed.project, `data-${randomUUID()}`) };
  return {
    url: `http://127.0.0.1:${port}`,
    env: {
      HOST: '127.0.0.1',
      PORT: String(port),
      QUEUE_NAME: `test-${randomUUID()}`,
      KAKAO_AUDIENCE: TEST_AUDIENCE,
      KAKAO_JWKS_URI: jwks.url,
      ACCOUNT_API_TOKENS: API_TOKEN,
      ...store,
    },
  };
}

function startService(args: string[], cwd: string, env: Record<string, string>): NodeProcess {
  const started = startNode(args, { cwd, env });
  processes.push(started);
  return started;
}

/** Kakao ids are decimal and exceed 2^53; a fresh one keeps the shared store's account state apart. */
const kakaoUser = () => `${Date.now()}${Math.floor(Math.random() * 1e6)}`;

async function sendUnlink(url: string, userId: string): Promise<void> {
  const response = await postSetOverHttp(url, await kakaoEvent(key, 'user-unlinked', userId, Date.now(), { reason: 'UNLINK_FROM_APPS' }));
  expect(response.status).toBe(202);
}

async function stopGracefully(started: NodeProcess): Promise<void> {
  started.child.kill('SIGTERM');
  expect(await started.exited).toBe(0);
}

const tsc = (args: string[]) => run(process.execPath, [join(packed.project, 'node_modules', 'typescript', 'bin', 'tsc'), ...args], packed.project);

let exampleBuilt: Promise<string> | undefined;
/** `npm run build` of the example: dist/main.js and dist/handlers.js. */
const buildExample = () => (exampleBuilt ??= tsc(['-p', 'tsconfig.build.json']));

describe('the packed package', () => {
  it('holds only the compiled code, its declarations, README.md and package.json', () => {
    const paths = packed.dryRunFiles.map((file) => file.path);
    for (const path of paths) expect(path).toMatch(/^(dist\/.+\.(js|d\.ts)|dist\/embedded-template\.tgz|README\.md|package\.json)$/);
    // The embedded store's template (a new database, made by the build) ships too: first starts skip initdb.
    expect(paths).toEqual(
      expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/main.js', 'dist/accounts/client/index.js', 'dist/accounts/client/index.d.ts', 'dist/embedded-template.tgz']),
    );
    // No tests, fixtures, data directory, examples, source maps, build state or key material.
    const unwanted = /(^|\/)(test|tests|fixtures?|data|bench|examples|src|node_modules)\/|\.env|\.pem$|\.key$|\.npmrc|\.map$|tsbuildinfo/i;
    expect(paths.filter((path) => unwanted.test(path))).toEqual([]);
  });

  it('is imported by name from an installed tarball, starts with a handler, and handles a signed event', async () => {
    const script = join(packed.project, 'consumer.mjs');
    writeFileSync(
      script,
      `import { startReceiver, defineHandlers, PermanentError, EVENT_NAMES } from '${PACKAGE_NAME}';
       const handlers = defineHandlers((registry) => {
         registry.on('kakao.user-unlinked', (event) => console.log(JSON.stringify({ handled: event })));
       });
       const receiver = await startReceiver({ handlers }); // reads process.env, as npm start does
       console.log(JSON.stringify({ listening: receiver.url, permanentCode: new PermanentError('no').code, eventNames: EVENT_NAMES.size }));
       process.once('SIGTERM', () => void receiver.close().then(() => process.exit(0)));`,
    );
    const { env, url } = await serviceEnv();
    const consumer = startService([script], packed.project, { ...env, LOG_LEVEL: 'warn' });
    const listening = await consumer.jsonLine((line) => 'listening' in line, 'the receiver to listen');
    expect(listening).toEqual({ listening: url, permanentCode: 'ERR_HANDLER_PERMANENT', eventNames: expect.any(Number) });

    const userId = kakaoUser();
    await sendUnlink(url, userId);
    const { handled } = await consumer.jsonLine((line) => (line.handled as { subject?: { id?: string } } | undefined)?.subject?.id === userId, 'the handler');
    expect(handled).toMatchObject({ type: 'kakao.user-unlinked', provider: 'kakao', data: { reason: 'UNLINK_FROM_APPS' } });

    // The account client of the same package (its ./client export) reads what the built-in handler kept.
    const clientPath = createRequire(script).resolve(`${PACKAGE_NAME}/client`);
    expect(clientPath).toBe(join(packed.installed, 'dist', 'accounts', 'client', 'index.js'));
    const { createAccountClient } = (await import(pathToFileURL(clientPath).href)) as typeof import('../../src/accounts/client/index.js');
    const accounts = createAccountClient({ baseUrl: url, token: API_TOKEN });
    await waitFor(async () => (await accounts.get('kakao', userId))?.status.value === 'unlinked', { what: 'the account state' });
    await stopGracefully(consumer);
  });
});

describe('examples/custom-handlers against the installed package', () => {
  it('type-checks, and a misspelled event name fails to compile', async () => {
    await tsc(['--noEmit', '-p', '.']);
    // The type tests without their @ts-expect-error directives: each line they guard must fail.
    const typeTests = readFileSync(join(packed.project, 'type-tests', 'event-names.ts'), 'utf8');
    const unguarded = join(packed.project, 'type-tests', 'unguarded.ts');
    writeFileSync(unguarded, typeTests.replace(/^\s*\/\/ @ts-expect-error.*\n/gm, ''));
    try {
      const failure = await tsc(['--noEmit', '-p', '.']).then(() => 'compiled', (error: Error) => error.message);
      expect(failure).toContain(`type-tests/unguarded.ts`);
      expect(failure).toMatch(/Argument of type '"kakao\.user-unlink"' is not assignable/);
      expect(failure).toMatch(/Did you mean '"logto\.User\.Deleted"'/);
    } finally {
      rmSync(unguarded);
    }
  });

  it('runs from its own code (npm start) and its handler sees a signed event', async () => {
    await buildExample();
    const { env, url } = await serviceEnv();
    const example = startService(['dist/main.js'], packed.project, env);
    await example.jsonLine((line) => Array.isArray(line.endpoints), 'start-up');
    const userId = kakaoUser();
    await sendUnlink(url, userId);
    const handled = await example.jsonLine((line) => line.msg === 'example: user unlinked' && line.user === userId, 'the example handler');
    expect(handled).toMatchObject({ reason: 'UNLINK_FROM_APPS', eventType: 'kakao.user-unlinked' });
    await stopGracefully(example);
  });

  it('extends the stock entry point as a mounted HANDLERS_MODULE file, laid out as in the image', async () => {
    await buildExample();
    // The image is the package at /app (dist/, package.json) run as `node dist/main.js`; the
    // compiled module is mounted beside it and imports the package by name (self-reference).
    const mounted = join(packed.installed, 'handlers.js');
    copyFileSync(join(packed.project, 'dist', 'handlers.js'), mounted);
    const { env, url } = await serviceEnv();
    const image = startService(['dist/main.js'], packed.installed, { ...env, HANDLERS_MODULE: mounted });
    const started = await image.jsonLine((line) => Array.isArray(line.endpoints), 'start-up');
    expect(started).toMatchObject({ handlerModules: [mounted] });
    expect(started.handled).toEqual(expect.arrayContaining(['kakao.user-unlinked', 'logto.User.Deleted']));
    const userId = kakaoUser();
    await sendUnlink(url, userId);
    await image.jsonLine((line) => line.msg === 'example: user unlinked' && line.user === userId, 'the mounted handler');
    await stopGracefully(image);
  });
});
