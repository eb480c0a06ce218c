import { randomUUID } from 'node:crypto';
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobQueue, QueueBackend } from '../../../src/queue/backend.js';
import { createEmbeddedBackend } from '../../../src/queue/backends/embedded-backend.js';
import { startEmbeddedPostgres } from '../../../src/queue/backends/embedded-postgres.js';
import { startService, type Service } from '../../../src/service.js';
import { findInStore, kakaoEvent } from '../../helpers/account-api.js';
import { createTestKey, startJwksServer, type JwksServer } from '../../helpers/kakao-transmitter.js';
import { captureLogs } from '../../helpers/receiver.js';
import { postSetOverHttp } from '../../helpers/service.js';
import { testConfig } from '../../helpers/test-config.js';
import { waitFor } from '../../helpers/wait-for.js';

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

/** The WAL segment files under DATA_DIR that hold `needle`. */
function walFilesHolding(dataDir: string, needle: string): string[] {
  const walDir = join(dataDir, 'pglite', 'pg_wal');
  return readdirSync(walDir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && readFileSync(join(walDir, entry.name)).includes(needle))
    .map((entry) => entry.name);
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

  describe('a purge', () => {
    let service: Service | undefined;
    let backend: QueueBackend | undefined;
    let jwks: JwksServer | undefined;
    let inspect: JobQueue | undefined;
    afterEach(async () => {
      await service?.close();
      await inspect?.close();
      await backend?.close();
      await jwks?.close();
      service = backend = jwks = inspect = undefined;
    });

    it('leaves the purged email in no WAL file of DATA_DIR', async () => {
      const dataDir = newDataDir();
      backend = await createEmbeddedBackend(dataDir, captureLogs().logger, { workers: 1 });
      const key = await createTestKey('kakao-key-1');
      jwks = await startJwksServer([key]);
      const env = { REDIS_URL: undefined, DATABASE_URL: undefined, DATA_DIR: dataDir };
      const config = testConfig({ ...env, KAKAO_JWKS_URI: jwks.url });
      service = await startService(config, { role: 'all', logger: captureLogs().logger, backend });
      inspect = backend.createQueue(config.queue.name, {});
      const baseUrl = `http://127.0.0.1:${(service.app.server.address() as { port: number }).port}`;
      const send = async (token: Promise<string>) => expect((await postSetOverHttp(baseUrl, await token)).status).toBe(202);
      const drained = () =>
        waitFor(async () => Object.values(await inspect!.getJobCounts('waiting', 'active', 'delayed')).every((count) => count === 0), {
          what: 'the queue to drain',
        });

      const email = `at-rest-${randomUUID()}@example.com`;
      const userId = `${Date.now()}`;
      const t = Math.floor(Date.now() / 1000) * 1000 - 60_000;
      await send(kakaoEvent(key, 'user-profile-changed', userId, t, { email }));
      const emailOf = async () => ((await backend!.accountStates().get('kakao', userId))?.profile.email as { value?: unknown } | undefined)?.value;
      await waitFor(async () => (await emailOf()) === email, { what: 'the profile' });
      await drained();
      expect(walFilesHolding(dataDir, email).length).toBeGreaterThan(0); // the scan sees it while it is there

      await send(kakaoEvent(key, 'account-purged', userId, t + 5000));
      await waitFor(async () => (await backend!.accountStates().get('kakao', userId))?.status?.value === 'deleted', { what: 'the purge' });
      await drained(); // the purging job has finished, and with it the store's forgetting
      expect(await findInStore('embedded', env, email)).toEqual([]);
      expect(walFilesHolding(dataDir, email)).toEqual([]);
      expect(looseEntries(dataDir)).toEqual([]);
    }, 60_000);
  });
});
