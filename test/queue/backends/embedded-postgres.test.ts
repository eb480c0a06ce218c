import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { create } from 'tar';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { PGlite } from '@electric-sql/pglite';
import { writeFileSync } from 'node:fs';
import { initEmbeddedDatabase } from '../../../src/queue/backends/embedded-initdb.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../../src/queue/backends/embedded-postgres.js';
import { buildEmbeddedTemplate } from '../../../src/queue/backends/build-embedded-template.js';
import { createEmbeddedBackend } from '../../../src/queue/backends/embedded-backend.js';
import { createEventQueue } from '../../../src/queue/event-queue.js';
import { testConfig } from '../../helpers/test-config.js';

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

  /** Every entry under `root` whose mode is not 0700 (directories) or 0600 (files). */
  const looseEntries = (root: string) =>
    readdirSync(root, { recursive: true, withFileTypes: true })
      .map((entry) => join(entry.parentPath, entry.name))
      .filter((path) => (statSync(path).mode & 0o777) !== (statSync(path).isDirectory() ? 0o700 : 0o600));

  it('makes a new database from a template tarball by unpacking it, owner-only at once, and renamed into place whole', async () => {
    const work = mkdtempSync(join(tmpdir(), 'embedded-template-test-'));
    dirs.push(work);
    // A template with a marker table, packed as the build packs one: only a database made from it has the table.
    const source = join(work, 'source');
    const db = await PGlite.create({ dataDir: source });
    await db.exec('CREATE TABLE public.from_template (v int)');
    await db.close();
    await create({ file: join(work, 'marked.tgz'), cwd: source, gzip: true, portable: true }, readdirSync(source));

    const fromTemplate = join(work, 'from-template', 'pglite');
    mkdirSync(fromTemplate, { recursive: true }); // what a start killed before it unpacked leaves
    mkdirSync(`${fromTemplate}.unpacking`); // what a start killed while it unpacked leaves
    writeFileSync(join(`${fromTemplate}.unpacking`, 'PG_VERSION'), 'half');
    await initEmbeddedDatabase(fromTemplate, join(work, 'marked.tgz'));
    expect(existsSync(`${fromTemplate}.unpacking`)).toBe(false);
    expect(looseEntries(fromTemplate)).toEqual([]);
    const marked = await PGlite.create({ dataDir: fromTemplate });
    expect((await marked.query(`SELECT to_regclass('public.from_template') IS NOT NULL AS found`)).rows).toEqual([{ found: true }]);
    await marked.close();

    // A directory that holds something else is never replaced.
    const foreign = join(work, 'foreign', 'pglite');
    mkdirSync(foreign, { recursive: true });
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    await expect(initEmbeddedDatabase(foreign, join(work, 'marked.tgz'))).rejects.toThrow(/not an embedded database/);
    expect(readdirSync(foreign)).toEqual(['notes.txt']);
  }, 60_000);

  it('the build makes a template that already holds the schema the service creates on a first start', async () => {
    const work = mkdtempSync(join(tmpdir(), 'embedded-template-test-'));
    dirs.push(work);
    // What `npm run build` ships: the service opens a new data directory made from it.
    expect(await buildEmbeddedTemplate(join(work, 'built.tgz'))).toBeGreaterThan(0);
    const dataDir = join(work, 'service');
    await initEmbeddedDatabase(join(dataDir, 'pglite'), join(work, 'built.tgz'));
    const db = await startEmbeddedPostgres(dataDir);
    try {
      expect(await show(db, 'shared_buffers')).toBe('16MB');
      const client = new pg.Client(db.connection);
      await client.connect();
      const found = await client.query(
        `SELECT to_regclass('public.account_states') IS NOT NULL AS accounts, (SELECT count(*) FROM pg_tables WHERE schemaname = 'bullmq') AS bullmq`,
      );
      // template0 and template1 are left out: a first start writes a third of the files.
      const databases = await client.query('SELECT datname FROM pg_database');
      await client.end();
      expect(found.rows[0]).toMatchObject({ accounts: true });
      expect(Number(found.rows[0].bullmq)).toBeGreaterThan(0);
      expect(databases.rows).toEqual([{ datname: 'postgres' }]);
    } finally {
      await db.close();
    }
    // The service's store on that database: an event goes in, a worker takes and completes it.
    const backend = await createEmbeddedBackend(dataDir, pino({ level: 'silent' }), { workers: 1 });
    const config = testConfig();
    const queue = createEventQueue({ backend, ...config.queue });
    const handled: string[] = [];
    const worker = backend.createWorker(config.queue.name, async (job) => void handled.push(job.data.id), { concurrency: 1 });
    try {
      void worker.run();
      const now = new Date().toISOString();
      await queue.enqueue([{ id: 'from-template-1', provider: 'kakao', type: 'kakao.unknown', sourceType: 'test', subject: null, occurredAt: now, receivedAt: now, data: {} } as never]);
      await vi.waitFor(() => expect(handled).toEqual(['from-template-1']), { timeout: 20_000 });
      expect(await backend.accountStates().get('kakao', 'nobody')).toBeNull();
    } finally {
      await worker.close();
      await queue.close();
      await backend.close();
    }
  }, 120_000);
});
