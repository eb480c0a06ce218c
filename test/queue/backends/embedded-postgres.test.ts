import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { PGlite } from '@electric-sql/pglite';
import { writeFileSync } from 'node:fs';
import { initEmbeddedDatabase } from '../../../src/queue/backends/embedded-initdb.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../../src/queue/backends/embedded-postgres.js';
import { buildEmbeddedTemplate } from '../../../src/queue/backends/embedded-template.js';

async function show(db: EmbeddedPostgres, setting: string): Promise<string> {
  const client = new pg.Client(db.connection);
  await client.connect();
  try {
    return (await client.query<Record<string, string>>(`SHOW ${setting}`)).rows[0]![setting]!;
  } finally {
    await client.end();
  }
}

/** The embedded database's footprint settings, on a new data directory and on reopening it. */
describe('embedded PostgreSQL', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('creates a new database (in a child process), runs with 16MB shared_buffers, and keeps its data on reopening', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'embedded-pg-'));
    dirs.push(dir);
    const first = await startEmbeddedPostgres(dir);
    try {
      expect(existsSync(join(dir, 'pglite', 'PG_VERSION'))).toBe(true);
      expect(await show(first, 'shared_buffers')).toBe('16MB');
      const client = new pg.Client(first.connection);
      await client.connect();
      await client.query('CREATE TABLE public.kept (v text); INSERT INTO public.kept VALUES ($$still here$$)');
      await client.end();
    } finally {
      await first.close();
    }
    const again = await startEmbeddedPostgres(dir);
    try {
      expect(await show(again, 'shared_buffers')).toBe('16MB');
      const client = new pg.Client(again.connection);
      await client.connect();
      expect((await client.query('SELECT v FROM public.kept')).rows).toEqual([{ v: 'still here' }]);
      await client.end();
    } finally {
      await again.close();
    }
  });

  it('creates a new database from a template tarball when one is given, and the build makes a usable one', async () => {
    const work = mkdtempSync(join(tmpdir(), 'embedded-template-test-'));
    dirs.push(work);
    // A template with a marker table: only a database made from it has the table.
    const source = await PGlite.create({ dataDir: join(work, 'source') });
    await source.exec('CREATE TABLE public.from_template (v int)');
    writeFileSync(join(work, 'marked.tgz'), Buffer.from(await (await source.dumpDataDir('gzip')).arrayBuffer()));
    await source.close();

    const fromTemplate = join(work, 'from-template', 'pglite');
    await initEmbeddedDatabase(fromTemplate, join(work, 'marked.tgz'));
    const marked = await PGlite.create({ dataDir: fromTemplate });
    expect((await marked.query(`SELECT to_regclass('public.from_template') IS NOT NULL AS found`)).rows).toEqual([{ found: true }]);
    await marked.close();

    // What `npm run build` ships: the service opens a new data directory made from it.
    expect(await buildEmbeddedTemplate(join(work, 'built.tgz'))).toBeGreaterThan(0);
    const dataDir = join(work, 'service');
    await initEmbeddedDatabase(join(dataDir, 'pglite'), join(work, 'built.tgz'));
    const db = await startEmbeddedPostgres(dataDir);
    try {
      expect(await show(db, 'shared_buffers')).toBe('16MB');
    } finally {
      await db.close();
    }
  }, 60_000);
});
