import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * This package as a user gets it: built, packed with `npm pack`, and installed from the tarball
 * into a copy of examples/custom-handlers (a project of its own outside this repository). Done
 * once per test file; every command runs asynchronously, so servers in the test process (the
 * JWKS) keep answering meanwhile.
 */
export const ROOT = new URL('../..', import.meta.url).pathname;
export const PACKAGE_NAME = 'kakao-logto-webhook-receiver';
const EXAMPLE = join(ROOT, 'examples', 'custom-handlers');

const exec = promisify(execFile);

export interface PackedFile {
  path: string;
  size: number;
}

export interface PackedProject {
  /** What `npm pack --dry-run` lists. */
  dryRunFiles: PackedFile[];
  tarball: string;
  /** The copy of the example, with the tarball and its dev dependencies installed. */
  project: string;
  /** The installed package's root, laid out as /app is in the image. */
  installed: string;
  cleanup(): void;
}

/** Runs a command (npm, node) and returns its stdout; a non-zero exit throws with its output. */
export async function run(command: string, args: string[], cwd: string, timeoutMs = 120_000): Promise<string> {
  try {
    return (await exec(command, args, { cwd, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout}\n${stderr}`, { cause: error });
  }
}

export async function packAndInstall(): Promise<PackedProject> {
  const dir = mkdtempSync(join(tmpdir(), 'receiver-package-'));
  try {
    // The server's build alone: the account client's package is packed (and built) by its own test.
    await run('npm', ['run', 'build:server'], ROOT);
    // --ignore-scripts: `prepare` would build again; the server's build above is all this package ships.
    const dryRun = JSON.parse(await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], ROOT)) as [{ files: PackedFile[] }];
    const [packed] = JSON.parse(await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], ROOT)) as [{ filename: string }];
    const tarball = join(dir, packed.filename);

    const project = join(dir, 'custom-handlers');
    cpSync(EXAMPLE, project, { recursive: true, filter: (source) => !/[/\\](node_modules|dist|data|package-lock\.json)$/.test(source) });
    // The example depends on this repository (file:../..); here it gets the packed tarball.
    const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    manifest.dependencies[PACKAGE_NAME] = `file:${tarball}`;
    writeFileSync(join(project, 'package.json'), JSON.stringify(manifest, null, 2));
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], project);

    return {
      dryRunFiles: dryRun[0].files,
      tarball,
      project,
      installed: join(project, 'node_modules', PACKAGE_NAME),
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
