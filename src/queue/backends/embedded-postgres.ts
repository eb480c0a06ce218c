import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { PgTarget } from './postgres-backend.js';
import { lockDataDir } from './data-dir-lock.js';
import { FILE_MODE, restrictDataDir } from './data-dir-modes.js';
import { embeddedStartParams, initEmbeddedDatabase } from './embedded-initdb.js';

/**
 * PostgreSQL compiled to WebAssembly (PGlite), running in this process and storing its data in
 * DATA_DIR, exposed to the `pg` driver on a unix socket so BullMQ's PostgreSQL backend can use it
 * unchanged. The socket is private to this process's user; nothing listens on TCP.
 */
export interface EmbeddedPostgres {
  /** pg connection settings that reach the embedded database. */
  connection: PgTarget;
  dataDir: string;
  /**
   * How many entries of an existing DATA_DIR other users could open (modes looser than 0700 for
   * directories, 0600 for files) before this start tightened them; 0 for a new directory.
   */
  loosenedEntries: number;
  close(): Promise<void>;
}

const SOCKET_PORT = 5432;
/** sockaddr_un.sun_path holds 108 bytes on Linux. */
const MAX_SOCKET_PATH = 100;

/** `template`: what a new database is made from (embedded-template.ts); without one, initdb. */
export async function startEmbeddedPostgres(dataDirOption: string, template?: string): Promise<EmbeddedPostgres> {
  const dataDir = resolve(dataDirOption);
  const release = await lockDataDir(dataDir);
  try {
    // Only this user may open DATA_DIR (data-dir-modes.ts). Counted before this start adds files:
    // what an earlier version, a restored backup or a hand-made directory left open to others.
    const loosenedEntries = restrictDataDir(dataDir);
    const pgDataDir = join(dataDir, 'pglite');
    await initEmbeddedDatabase(pgDataDir, template);
    const db = await PGlite.create({ dataDir: pgDataDir, startParams: embeddedStartParams(PGlite.defaultStartParams) });
    restrictDataDir(dataDir); // initdb (without a template) and PostgreSQL's start make files with loose modes
    // Every socket shares PGlite's one session, and the socket layer ignores the search_path
    // startup option, so the schema is set on the instance itself.
    await db.exec('CREATE SCHEMA IF NOT EXISTS bullmq; SET search_path TO bullmq, public;');

    const ownSocketDir = join(dataDir, 'socket');
    const socketDir =
      join(ownSocketDir, `.s.PGSQL.${SOCKET_PORT}`).length <= MAX_SOCKET_PATH ? ownSocketDir : mkdtempSync(join(tmpdir(), 'pglite-'));
    mkdirSync(socketDir, { recursive: true, mode: 0o700 });
    const socketPath = join(socketDir, `.s.PGSQL.${SOCKET_PORT}`);
    rmSync(socketPath, { force: true }); // left behind by a killed process
    // The default of one connection stalls BullMQ, which queries from several pooled clients.
    const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections: 64 });
    await server.start();
    chmodSync(socketPath, FILE_MODE); // made with the process umask; its directory is 0700 anyway

    return {
      dataDir,
      loosenedEntries,
      connection: { host: socketDir, port: SOCKET_PORT, user: 'postgres', database: 'postgres' },
      async close() {
        await server.stop();
        await db.close();
        rmSync(socketPath, { force: true });
        await release();
      },
    };
  } catch (error) {
    await release();
    throw error;
  }
}
