import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

/**
 * What `npm ci` and the declared Node versions rest on: the lock file as committed, and the
 * packages installed from it.
 */
const ROOT = new URL('../..', import.meta.url).pathname;

interface LockEntry {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  engines?: { node?: string } | string[];
  optionalDependencies?: Record<string, string>;
  hasInstallScript?: boolean;
}

const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string }; allowScripts?: Record<string, boolean> };
const entries = Object.entries(lock.packages).filter(([path]) => path !== '');

/** Where Node would find `name` from the package at `from`: its own node_modules, then each parent's. */
function resolveInLock(from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = `${base === '' ? '' : `${base}/`}node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (base === '') return undefined;
    const parent = base.lastIndexOf('/node_modules/');
    base = parent < 0 ? '' : base.slice(0, parent);
  }
}

const nodeRange = (entry: LockEntry) => (Array.isArray(entry.engines) ? undefined : entry.engines?.node);

/**
 * Production packages whose `engines.node` says ">=22" although this project supports Node 20.19:
 * each is ESM-only, and its CommonJS dependent loads it with require(), which Node runs without a
 * flag from 20.19.0 and 22.12.0 on (process.features.require_module). Their code uses nothing newer.
 * An entry names the package that requires it, so the test below can load it the same way.
 */
const LOADED_THROUGH_REQUIRE_ESM: Record<string, string> = {
  // @fastify/static (the queue dashboard's assets, through @bull-board/fastify) from 10.1.4 on;
  // 10.1.3 would declare Node 18 but lacks 10.1.4-10.1.11's path-authorization fixes.
  'content-disposition': '@fastify/static',
  // light-my-request (fastify's inject(), which only tests call) from 6.8.0 on.
  cookie: 'light-my-request',
};
/** The Node versions that load ES modules through require() without a flag. */
const REQUIRE_ESM_NODE = '^20.19.0 || >=22.12.0';

describe('package-lock.json', () => {
  it('holds an entry for every optional dependency of every package, whatever its platform, so npm ci accepts it on any npm', () => {
    // npm from 11.7 refuses a lock that lacks other platforms' builds (msgpackr-extract's darwin
    // and win32 packages, say), which an install on one platform may leave out.
    const missing: string[] = [];
    let optional = 0;
    for (const [path, entry] of entries) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        optional += 1;
        if (!resolveInLock(path, name)) missing.push(`${path} → ${name}`);
      }
    }
    expect(optional).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });

  it('has a decision in allowScripts for every dependency with an install script, so npm ci ends without a warning', () => {
    // npm from 11.19 skips the install scripts allowScripts does not approve, and warns about
    // each one it has no entry for.
    const withScripts = entries
      .filter(([, entry]) => entry.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(withScripts.length).toBeGreaterThan(0);
    const undecided = withScripts.filter((name) => !Object.hasOwn(pkg.allowScripts ?? {}, name));
    expect(undecided).toEqual([]);
  });
});

describe('engines.node in package.json', () => {
  it('admits only Node versions that every production dependency declares, but for the ESM-only packages loaded through require()', () => {
    const refused: string[] = [];
    const excepted = new Set<string>();
    for (const [path, entry] of entries) {
      const range = nodeRange(entry);
      if (entry.dev || !range || semver.subset(pkg.engines.node, range)) continue;
      const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
      if (Object.hasOwn(LOADED_THROUGH_REQUIRE_ESM, name)) excepted.add(name);
      else refused.push(`${name}@${entry.version} declares node ${range}`);
    }
    expect(refused).toEqual([]);
    // An exception no package needs any more is dropped from the list.
    expect([...excepted].sort()).toEqual(Object.keys(LOADED_THROUGH_REQUIRE_ESM).sort());
    // The exceptions load only where require() runs ES modules.
    expect(semver.subset(pkg.engines.node, REQUIRE_ESM_NODE)).toBe(true);
  });

  it('admits the Node running this test, and it loads each excepted ES module through require() from its dependent', () => {
    expect(semver.satisfies(process.version, pkg.engines.node)).toBe(true);
    expect(process.features.require_module).toBe(true);
    for (const [name, dependent] of Object.entries(LOADED_THROUGH_REQUIRE_ESM)) {
      const fromDependent = createRequire(createRequire(join(ROOT, 'package.json')).resolve(`${dependent}/package.json`));
      // Its package.json is not exported: read it beside the resolved entry point.
      const entry = fromDependent.resolve(name);
      const dir = entry.slice(0, entry.lastIndexOf(`/node_modules/${name}/`) + `/node_modules/${name}`.length);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { type?: string };
      expect(manifest.type, name).toBe('module');
      expect(Object.keys(fromDependent(name) as object).length, name).toBeGreaterThan(0);
    }
  });
});
