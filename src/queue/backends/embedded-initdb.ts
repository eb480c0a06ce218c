import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

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
 * Creates the database in a new data directory in a short-lived child process, from `template`
 * (a tarball of a new database, see embedded-template.ts) when given, else with initdb. Either
 * leaves a few hundred MB in the process that ran it, which an idle service would never give
 * back; in a child, the memory goes with the child. Does nothing when the directory already
 * holds a database.
 */
export async function initEmbeddedDatabase(pgDataDir: string, template?: string): Promise<void> {
  if (existsSync(join(pgDataDir, 'PG_VERSION'))) return;
  mkdirSync(pgDataDir, { recursive: true });
  const pglite = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const script = `
    const [pglite, dataDir, template, ...extra] = process.argv.slice(1);
    const { PGlite } = require(pglite);
    const { readFileSync } = require('node:fs');
    (async () => {
      const loadDataDir = template ? new Blob([readFileSync(template)]) : undefined;
      const db = await PGlite.create({ dataDir, loadDataDir, startParams: [...PGlite.defaultStartParams, ...extra] });
      await db.close();
    })().catch((error) => { console.error(error && error.stack || String(error)); process.exit(1); });`;
  const args = ['-e', script, pglite, pgDataDir, template ?? '', ...embeddedStartParams([])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`creating the embedded database in ${pgDataDir} failed (exit ${code}): ${stderr.trim()}`);
}
