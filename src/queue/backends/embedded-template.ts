import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { embeddedStartParams } from './embedded-initdb.js';

/**
 * A new embedded database, made once when the package is built (`npm run build`) and shipped as
 * a tarball beside the compiled code: a first start then unpacks it (about 1 s) instead of
 * running initdb (about 3 s). A data directory is the same on every machine for one PGlite
 * version, and the package pins the version it was built with. Running from the TypeScript
 * sources (tests, development mode), there is no tarball and initdb runs instead.
 */
export const EMBEDDED_TEMPLATE = fileURLToPath(new URL('../../embedded-template.tgz', import.meta.url));

export function embeddedTemplate(): string | undefined {
  return existsSync(EMBEDDED_TEMPLATE) ? EMBEDDED_TEMPLATE : undefined;
}

/** Creates a database in a temporary directory and writes it, gzipped, to `target`. */
export async function buildEmbeddedTemplate(target: string): Promise<number> {
  const { PGlite } = await import('@electric-sql/pglite');
  const dataDir = mkdtempSync(join(tmpdir(), 'embedded-template-'));
  try {
    const db = await PGlite.create({ dataDir, startParams: embeddedStartParams(PGlite.defaultStartParams) });
    const tarball = Buffer.from(await (await db.dumpDataDir('gzip')).arrayBuffer());
    await db.close();
    writeFileSync(target, tarball);
    return tarball.length;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// `node dist/queue/backends/embedded-template.js` (the build's last step) writes the tarball.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const bytes = await buildEmbeddedTemplate(EMBEDDED_TEMPLATE);
  console.log(`embedded database template: ${EMBEDDED_TEMPLATE} (${Math.round(bytes / 1024)} KiB)`);
}
