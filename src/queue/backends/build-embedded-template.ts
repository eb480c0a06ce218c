import { PGlite } from '@electric-sql/pglite';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { create } from 'tar';
import { createEmbeddedBackend } from './embedded-backend.js';
import { embeddedStartParams } from './embedded-initdb.js';
import { EMBEDDED_TEMPLATE } from './embedded-template.js';

/**
 * Makes the embedded store's template: a new database in a temporary directory, opened once as
 * the service opens it, so that it holds what a first start would otherwise create (BullMQ's
 * schema, the account state table); then shut down cleanly and written to `target` as a gzipped
 * tarball of relative paths (what initEmbeddedDatabase unpacks). `target` is removed first: the
 * database is made by initdb, never from an older template.
 *
 * Only the `postgres` database is kept: the service uses no other, and template0 and template1
 * (there only for CREATE DATABASE, which the service never runs) are two thirds of the data
 * directory's 1,000 files. A first start writes every file of the template, and creating a file
 * costs about 0.8 ms on some virtual machines' disks: without them the unpacking took 0.15-0.35 s
 * instead of 1.25-1.37 s on one.
 */
export async function buildEmbeddedTemplate(target: string): Promise<number> {
  rmSync(target, { force: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'embedded-template-'));
  try {
    const backend = await createEmbeddedBackend(dataDir, pino({ level: 'silent' }), { fromTemplate: false });
    try {
      await backend.accountStates().get('kakao', 'template'); // creates the account state table
    } finally {
      await backend.close();
    }
    const pgDataDir = join(dataDir, 'pglite');
    await dropTemplateDatabases(pgDataDir);
    await create({ file: target, cwd: pgDataDir, gzip: { level: 9 }, portable: true }, readdirSync(pgDataDir));
    return statSync(target).size;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Drops template0 and template1, then checkpoints, so the files they had are gone from the directory. */
async function dropTemplateDatabases(pgDataDir: string): Promise<void> {
  const db = await PGlite.create({ dataDir: pgDataDir, startParams: embeddedStartParams(PGlite.defaultStartParams) });
  try {
    for (const name of ['template0', 'template1']) {
      await db.exec(`ALTER DATABASE ${name} IS_TEMPLATE false`);
      await db.exec(`DROP DATABASE ${name}`);
    }
    await db.exec('CHECKPOINT');
  } finally {
    await db.close();
  }
}

// `node dist/queue/backends/build-embedded-template.js` (the build's last step) writes the tarball.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const bytes = await buildEmbeddedTemplate(EMBEDDED_TEMPLATE);
  console.log(`embedded database template: ${EMBEDDED_TEMPLATE} (${Math.round(bytes / 1024)} KiB)`);
}
