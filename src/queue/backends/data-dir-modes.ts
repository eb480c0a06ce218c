import { chmodSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { StartupError } from '../../errors.js';

/**
 * DATA_DIR holds every queued event and account state of the embedded store in clear text, so
 * only the service's own user may open it: directories 0700, files 0600.
 *
 * PGlite restores a new database from a tarball whose entries are 0666 and 0755, whatever the
 * process umask says (Emscripten's file system chmods each entry to the mode in the tarball), so
 * the tree is tightened once the database is open. The files PostgreSQL creates afterwards (WAL
 * segments, relation files, its state files at shutdown) it creates owner-only itself; a test
 * writes past several WAL segments, restarts, and checks every mode.
 */
export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

/**
 * Sets every directory under `root` (itself included) to 0700 and every other entry to 0600,
 * without following symbolic links. Returns how many entries had other modes.
 */
export function restrictDataDir(root: string): number {
  let changed = 0;
  const visit = (path: string) => {
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (!stat || stat.isSymbolicLink()) return; // gone meanwhile, or not ours to change
    const mode = stat.isDirectory() ? DIR_MODE : FILE_MODE;
    if ((stat.mode & 0o777) !== mode) {
      try {
        chmodSync(path, mode);
      } catch (error) {
        // Not ours (EPERM): the service would keep its data where other users can read it.
        throw new StartupError(
          'ERR_DATA_DIR_MODE',
          `${path} is open to other users (mode ${(stat.mode & 0o777).toString(8)}) and this process cannot make it owner-only: chmod it yourself, or point DATA_DIR at a directory this user owns`,
          { cause: error },
        );
      }
      changed += 1;
    }
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(root);
  return changed;
}
