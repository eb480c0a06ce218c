import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { extract } from 'tar';
import { DIR_MODE, FILE_MODE } from './data-dir-modes.js';

/**
 * PostgreSQL's settings for the embedded store: PGlite's own defaults, with
 * - shared_buffers at 16 MB instead of PostgreSQL's 128 MB. The embedded store holds a queue and
 *   the account state of one service, and every buffer it touches stays resident in this process;
 * - wal_recycle off: a WAL segment no longer needed is deleted, not renamed for reuse with its old
 *   contents, so the checkpoint after a purge (embedded-forget.ts) takes the purged values with it.
 */
export function embeddedStartParams(defaults: readonly string[]): string[] {
  return [...defaults, '-c', 'shared_buffers=16MB', '-c', 'wal_recycle=off'];
}

/**
 * Creates the database in a new data directory: from `template` (a tarball of a new database,
 * see embedded-template.ts) when given, else with initdb. Does nothing when the directory already
 * holds a database.
 */
export async function initEmbeddedDatabase(pgDataDir: string, template?: string): Promise<void> {
  if (existsSync(join(pgDataDir, 'PG_VERSION'))) return;
  if (template) return unpackTemplate(template, pgDataDir);
  mkdirSync(pgDataDir, { recursive: true });
  await initdbInChild(pgDataDir);
}

/**
 * The template's files, written straight to disk: 0.15-0.35 s for its 457 files, where restoring it
 * through PGlite (loadDataDir) boots a whole PostgreSQL once more, about 2 s. It is unpacked beside the data
 * directory and renamed into place, so a start killed halfway leaves no half database behind
 * (the next start unpacks again), and owner-only from the first byte (0600 and 0700).
 */
function unpackTemplate(template: string, pgDataDir: string): void {
  const unpacking = `${pgDataDir}.unpacking`;
  rmSync(unpacking, { recursive: true, force: true });
  mkdirSync(unpacking, { recursive: true, mode: DIR_MODE });
  // Synchronous: nothing else runs before the store is open, and it is twice as fast here.
  extract({
    file: template,
    cwd: unpacking,
    strict: true,
    sync: true,
    // Each file and directory is created with the owner-only mode, whatever the tarball says.
    onReadEntry: (entry) => void (entry.mode = entry.type === 'Directory' ? DIR_MODE : FILE_MODE),
  });
  if (existsSync(pgDataDir)) {
    // A directory without PG_VERSION is what an earlier start left when it was killed mid-initdb.
    if (readdirSync(pgDataDir).length > 0) {
      throw new Error(`${pgDataDir} exists, holds no PG_VERSION and is not empty: it is not an embedded database; move it away`);
    }
    rmdirSync(pgDataDir);
  }
  renameSync(unpacking, pgDataDir);
}

/**
 * initdb through PGlite, in a short-lived child process: it leaves a few hundred MB in the process
 * that ran it, which an idle service would never give back; in a child, the memory goes with the
 * child. Used when there is no template (running from the TypeScript sources).
 */
async function initdbInChild(pgDataDir: string): Promise<void> {
  const pglite = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const script = `
    const [pglite, dataDir, ...extra] = process.argv.slice(1);
    const { PGlite } = require(pglite);
    (async () => {
      const db = await PGlite.create({ dataDir, startParams: [...PGlite.defaultStartParams, ...extra] });
      await db.close();
    })().catch((error) => { console.error(error && error.stack || String(error)); process.exit(1); });`;
  const args = ['-e', script, pglite, pgDataDir, ...embeddedStartParams([])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`creating the embedded database in ${pgDataDir} failed (exit ${code}): ${stderr.trim()}`);
}
