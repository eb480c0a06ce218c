import { chmodSync, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { QueueBackend } from '../../../src/queue/backend.js';
import { createEmbeddedBackend } from '../../../src/queue/backends/embedded-backend.js';
import { startEmbeddedPostgres } from '../../../src/queue/backends/embedded-postgres.js';
import { captureLogs } from '../../helpers/receiver.js';

/** Every entry under `root` (itself included) whose mode is not 0700 (directories) or 0600 (the rest). */
function looseEntries(root: string): string[] {
  const loose: string[] = [];
  const visit = (path: string) => {
    const stat = lstatSync(path);
    const want = stat.isDirectory() ? 0o700 : 0o600;
    if ((stat.mode & 0o777) !== want) loose.push(`${path.slice(root.length) || '/'} ${(stat.mode & 0o777).toString(8)}`);
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(root);
  return loose;
}

/** Opens every mode under `root` to other users, as an older version left a data directory. */
function loosen(root: string): void {
  const stat = lstatSync(root);
  chmodSync(root, stat.isDirectory() ? 0o755 : 0o666);
  if (stat.isDirectory()) for (const name of readdirSync(root)) loosen(join(root, name));
}

/** Data at rest in the embedded store: who may read DATA_DIR, and what a purge leaves in it. */
describe('embedded store data at rest', () => {
  const dirs: string[] = [];
  const newDataDir = () => {
    const parent = mkdtempSync(join(tmpdir(), 'embedded-at-rest-'));
    dirs.push(parent);
    return join(parent, 'data'); // made by the store itself, with the process umask in force
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps DATA_DIR 0700 and every file in it 0600: after start, after writes past several WAL segments, after close and reopening', async () => {
    const dataDir = newDataDir();
    const db = await startEmbeddedPostgres(dataDir);
    try {
      expect(db.loosenedEntries).toBe(0);
      expect(looseEntries(dataDir)).toEqual([]);
      const client = new pg.Client(db.connection);
      await client.connect();
      try {
        await client.query('CREATE TABLE public.filler (v text)');
        // Each switch makes PostgreSQL create a new WAL segment file; the checkpoint deletes old ones.
        for (let i = 0; i < 3; i += 1) {
          await client.query(`INSERT INTO public.filler SELECT repeat('x', 500) FROM generate_series(1, 2000)`);
          await client.query('SELECT pg_switch_wal()');
        }
        await client.query('CHECKPOINT');
      } finally {
        await client.end();
      }
      expect(readdirSync(join(dataDir, 'pglite', 'pg_wal')).some((name) => name > '000000010000000000000003')).toBe(true);
      expect(looseEntries(dataDir)).toEqual([]);
    } finally {
      await db.close();
    }
    expect(looseEntries(dataDir)).toEqual([]); // what PostgreSQL writes at shutdown too
    const again = await startEmbeddedPostgres(dataDir);
    try {
      expect(again.loosenedEntries).toBe(0);
      expect(looseEntries(dataDir)).toEqual([]);
    } finally {
      await again.close();
    }
  }, 60_000);

  it('tightens an existing DATA_DIR that other users could read, and says so in the log', async () => {
    const dataDir = newDataDir();
    await (await startEmbeddedPostgres(dataDir)).close();
    loosen(dataDir);
    expect(looseEntries(dataDir).length).toBeGreaterThan(100);

    const { lines, logger } = captureLogs();
    let backend: QueueBackend | undefined;
    try {
      backend = await createEmbeddedBackend(dataDir, logger);
      expect(looseEntries(dataDir)).toEqual([]);
      const warning = lines.find((line) => line.msg === 'DATA_DIR was open to other users: its directories are now 0700 and its files 0600');
      expect(warning).toMatchObject({ level: 40, dataDir });
      expect(warning!.entries).toBeGreaterThan(100);
    } finally {
      await backend?.close();
    }
  }, 60_000);
});
