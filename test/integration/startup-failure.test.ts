import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startService } from '../../src/service.js';
import { testConfig } from '../helpers/test-config.js';

/**
 * A start that fails half-way (the port is taken, after the store has opened) closes what it
 * opened, so a library caller can try again: the embedded store's data directory is free again.
 */
describe('start-up that fails after the store opened', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('releases the embedded store, so the next start on the same DATA_DIR succeeds', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'startup-failure-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => taken.close(() => resolve())));
    const port = String((taken.address() as { port: number }).port);
    const env = { REDIS_URL: undefined, DATABASE_URL: undefined, DATA_DIR: dataDir, KAKAO_AUDIENCE: undefined };
    const logger = pino({ level: 'silent' });

    await expect(startService(testConfig({ ...env, PORT: port }), { role: 'all', logger })).rejects.toThrow(/EADDRINUSE/);
    const started = Date.now();
    const service = await startService(testConfig({ ...env, PORT: '0' }), { role: 'all', logger });
    cleanups.push(() => service.close());
    // A lock left behind by the failed start would only be taken over once stale (about 10 s).
    expect(Date.now() - started).toBeLessThan(8000);
    expect((await service.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  }, 60_000);
});
