import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * A new embedded database, made once when the package is built (`npm run build`, see
 * build-embedded-template.ts) and shipped as a tarball beside the compiled code: a first start
 * unpacks it (0.15-0.35 s) instead of running initdb in PGlite (about 3 s), and finds the schema
 * already made. A data directory is the same on every machine for one PGlite version, and the
 * package pins the version it was built with. Running from the TypeScript sources (tests,
 * development mode), there is no tarball and initdb runs instead.
 */
export const EMBEDDED_TEMPLATE = fileURLToPath(new URL('../../embedded-template.tgz', import.meta.url));

export function embeddedTemplate(): string | undefined {
  return existsSync(EMBEDDED_TEMPLATE) ? EMBEDDED_TEMPLATE : undefined;
}
