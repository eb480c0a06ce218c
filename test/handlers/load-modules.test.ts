import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { StartupError } from '../../src/errors.js';
import type { EventOf } from '../../src/events/catalog.js';
import { loadHandlerModules } from '../../src/handlers/load-modules.js';
import { createHandlerRegistry } from '../../src/handlers/registry.js';
import { startService } from '../../src/service.js';
import { BACKENDS } from '../helpers/backends.js';
import { createTestKey, setClaims, signSet, startJwksServer, type JwksServer } from '../helpers/kakao-transmitter.js';
import { useTestBackend } from '../helpers/receiver.js';
import { postSetOverHttp, runService, type RunningService } from '../helpers/service.js';
import { testConfig } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * HANDLERS_MODULE: real module files in a temporary directory, loaded as the image loads a
 * mounted file. The modules report to the test through a global, since they share its process.
 */
const dir = mkdtempSync(join(tmpdir(), 'handler-modules-'));
// `.js` files here are ES modules, as under the image's /app/package.json.
writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Seen {
  loaded: string[];
  events: EventOf[];
}
const seen = (): Seen => ((globalThis as { __handlerModules?: Seen }).__handlerModules ??= { loaded: [], events: [] });
afterEach(() => {
  seen().loaded.length = 0;
  seen().events.length = 0;
});

let counter = 0;
/** Writes a module under a fresh name (ES modules are cached by URL) and returns its path. */
function moduleFile(source: string, extension = 'mjs'): string {
  counter += 1;
  const file = join(dir, `handlers-${counter}.${extension}`);
  writeFileSync(file, source);
  return file;
}

const recording = (label: string, extension = 'mjs') =>
  moduleFile(
    `export default async function register(registry) {
       await new Promise((resolve) => setTimeout(resolve, 10)); // async registration is awaited
       globalThis.__handlerModules.loaded.push(${JSON.stringify(label)});
       registry.on('kakao.user-unlinked', (event) => void globalThis.__handlerModules.events.push(event), { name: ${JSON.stringify(label)} });
     }`,
    extension,
  );

describe('loadHandlerModules', () => {
  it('loads .mjs and .js modules in the order given, awaiting each registration', async () => {
    seen();
    const registry = createHandlerRegistry();
    await loadHandlerModules([recording('first'), recording('second', 'js')], registry);
    expect(seen().loaded).toEqual(['first', 'second']);
    expect(registry.handledNames()).toEqual(['kakao.user-unlinked']);
  });

  it('loads a file named twice once', async () => {
    seen();
    const file = recording('once');
    await loadHandlerModules([file, file], createHandlerRegistry());
    expect(seen().loaded).toEqual(['once']);
  });

  const failures: [string, () => string, string, RegExp][] = [
    ['a missing file', () => join(dir, 'nowhere.js'), 'ERR_HANDLERS_MODULE_NOT_FOUND', /: no such file$/],
    // Under vitest, Vite parses the module first; Node's own SyntaxError is seen in test/integration/process.test.ts.
    ['a syntax error', () => moduleFile('export default (registry) => {\n  registry.on(\n'), 'ERR_HANDLERS_MODULE_LOAD', /cannot be loaded: .*(SyntaxError|invalid JS syntax)/],
    ['a module that throws while loading', () => moduleFile("throw new Error('no database URL');"), 'ERR_HANDLERS_MODULE_LOAD', /cannot be loaded: Error: no database URL/],
    ['a missing dependency', () => moduleFile("import 'not-installed-anywhere';\nexport default () => {};"), 'ERR_HANDLERS_MODULE_LOAD', /cannot be loaded: .*not-installed-anywhere/],
    ['no default export', () => moduleFile('export const register = () => {};'), 'ERR_HANDLERS_MODULE_EXPORT', /must be a function .*; got no default export$/],
    ['a default export that is not a function', () => moduleFile('export default { on: true };'), 'ERR_HANDLERS_MODULE_EXPORT', /got a object$/],
    [
      'an unknown event name',
      () => moduleFile("export default (registry) => registry.on('kakao.user-unlink', () => {});"),
      'ERR_HANDLERS_MODULE_REGISTER',
      /registering its handlers failed: TypeError: unknown event name "kakao.user-unlink"/,
    ],
    ['a rejecting registration', () => moduleFile("export default async () => { throw new Error('vault sealed'); };"), 'ERR_HANDLERS_MODULE_REGISTER', /failed: Error: vault sealed/],
  ];

  it.each(failures)('stops at %s with a StartupError naming the module', async (_what, file, code, message) => {
    const path = file();
    const error = await loadHandlerModules([path], createHandlerRegistry()).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(StartupError);
    expect(error).toMatchObject({ code });
    expect((error as Error).message).toMatch(new RegExp(`^HANDLERS_MODULE ${path}: `));
    expect((error as Error).message).toMatch(message);
  });

  it('resolves a relative path against the working directory', async () => {
    seen();
    const file = recording('relative');
    await loadHandlerModules([relative(process.cwd(), file)], createHandlerRegistry());
    expect(seen().loaded).toEqual(['relative']);
  });
});

describe('startService with HANDLERS_MODULE', () => {
  it.each([
    ['a module that fails to load', () => moduleFile('export default (registry) => {')],
    ['an unknown event name', () => moduleFile("export default (registry) => registry.on('logto.User.Delete', () => {});")],
  ])('refuses to start on %s before it opens anything', async (_what, file) => {
    const dataDir = join(dir, `data-${(counter += 1)}`);
    const path = file();
    const config = testConfig({ REDIS_URL: undefined, DATA_DIR: dataDir, HANDLERS_MODULE: path });
    const error = await startService(config, { role: 'all', logger: pino({ level: 'silent' }) }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(StartupError);
    expect((error as Error).message).toContain(`HANDLERS_MODULE ${path}: `);
    expect(existsSync(dataDir)).toBe(false); // the embedded store was never opened
  });

  // A lone receiver needs a shared store: Redis, as testConfig sets it.
  it.runIf(BACKENDS.includes('redis'))('loads no module in a receiver-only process, which runs no handlers', async () => {
    const config = testConfig({ HANDLERS_MODULE: join(dir, 'missing.js') });
    const service = await startService(config, { role: 'receiver', logger: pino({ level: 'silent' }) });
    expect(service.registry).toBeUndefined();
    await service.close();
  });
});

describe.each(BACKENDS)('a HANDLERS_MODULE handler end to end, on %s', (kind) => {
  const store = useTestBackend(kind);
  let jwks: JwksServer | undefined;
  let running: RunningService | undefined;
  afterEach(async () => {
    await running?.close();
    await jwks?.close();
  });

  it('sees a signed event beside the built-in and the code-registered handlers', async () => {
    seen();
    const key = await createTestKey('kakao-key-1');
    jwks = await startJwksServer([key]);
    const config = testConfig({ ...store().env, KAKAO_JWKS_URI: jwks.url, HANDLERS_MODULE: `${recording('mounted')},${recording('also-mounted', 'js')}` });
    running = await runService(config, { backend: store().backend });
    expect(running.service.registry!.handledNames()).toContain('kakao.user-unlinked');
    expect((await postSetOverHttp(running.baseUrl, await signSet(key, setClaims()))).status).toBe(202);
    const events = await waitFor(() => (seen().events.length === 2 ? seen().events : undefined), { what: 'both module handlers' });
    expect(events.map((event) => event.type)).toEqual(['kakao.user-unlinked', 'kakao.user-unlinked']);
    expect(events[0]!.subject).toMatchObject({ id: '9007199254740993123' });
    await waitFor(() => running!.received.length === 1, { what: 'the handler registered in code' });
    const started = running.logs.find((line) => Array.isArray(line.endpoints));
    expect(started).toMatchObject({ handlerModules: config.handlers.modules });
  });
});
