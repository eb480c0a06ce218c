import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startService, type Service } from '../../../src/service.js';
import { LOGTO_KEY, postLogto, userDataUpdated } from '../../helpers/logto-signer.js';
import { captureLogs } from '../../helpers/receiver.js';
import { testConfig } from '../../helpers/test-config.js';
import { atMost, waitFor } from '../../helpers/wait-for.js';

/**
 * On the embedded store a NOTIFY reaches only the connection that sent it, so an idle worker
 * cannot be woken by a new job and must poll. BullMQ's PostgreSQL worker, when a delayed job is
 * pending (a handler's retry waiting out its backoff), waits until that job is due (up to an hour)
 * and counts on NOTIFY for anything new: here every new event would then wait for the retry.
 */
describe('the embedded store with a retry waiting out its backoff', () => {
  let service: Service | undefined;
  let dataDir: string | undefined;
  afterEach(async () => {
    await atMost(service?.close() ?? Promise.resolve(), 5000);
    service = undefined;
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('still handles a new event within seconds, not when the retry is due', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'embedded-delayed-'));
    const handled: string[] = [];
    let failedOnce = false;
    service = await startService(
      testConfig({ REDIS_URL: undefined, DATA_DIR: dataDir, KAKAO_AUDIENCE: '', LOGTO_SIGNING_KEYS: LOGTO_KEY, BUILT_IN_HANDLERS: 'none', JOB_BACKOFF_MS: '120000' }),
      {
        role: 'all',
        logger: captureLogs().logger,
        registerHandlers: (registry) =>
          registry.onAny((event) => {
            if (!failedOnce) {
              failedOnce = true;
              throw new Error('fails once: its retry is delayed by two minutes');
            }
            handled.push(event.subject?.id ?? '');
          }),
      },
    );
    expect((await postLogto(service.app, userDataUpdated({ userId: 'retried' }))).statusCode).toBe(200);
    await waitFor(() => failedOnce, { what: 'the first attempt to fail' });
    // The worker now knows of a delayed job due in two minutes, and goes idle.
    await new Promise((resolve) => setTimeout(resolve, 1000));

    expect((await postLogto(service.app, userDataUpdated({ userId: 'fresh' }))).statusCode).toBe(200);
    await waitFor(() => handled.includes('fresh'), { what: 'the new event handled while the retry waits', timeoutMs: 15_000 });
    expect(handled).not.toContain('retried');
  }, 40_000);
});
