import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { create } from 'tar';
import { createEmbeddedBackend } from './embedded-backend.js';
import { EMBEDDED_TEMPLATE } from './embedded-template.js';

/**
 * Makes the embedded store's template: a new database in a temporary directory, opened once as
 * the service opens it, so that it holds what a first start would otherwise create (BullMQ's
 * schema, the account state table); then shut down cleanly and written to `target` as a gzipped
 * tarball of relative paths (what initEmbeddedDatabase unpacks). `target` is removed first: the
 * database is made by initdb, never from an older template.
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
    await create({ file: target, cwd: pgDataDir, gzip: { level: 9 }, portable: true }, readdirSync(pgDataDir));
    return statSync(target).size;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// `node dist/queue/backends/build-embedded-template.js` (the build's last step) writes the tarball.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const bytes = await buildEmbeddedTemplate(EMBEDDED_TEMPLATE);
  console.log(`embedded database template: ${EMBEDDED_TEMPLATE} (${Math.round(bytes / 1024)} KiB)`);
}
