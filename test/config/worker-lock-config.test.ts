import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';

/** WORKER_LOCK_DURATION_MS: how soon a dead worker's jobs go to another worker (BullMQ's lockDuration and stalledInterval). */
describe('WORKER_LOCK_DURATION_MS', () => {
  it("defaults to BullMQ's own 30 s", () => {
    expect(loadConfig({}).queue.lockDurationMs).toBe(30_000);
  });

  it('takes whole milliseconds from 1000 up', () => {
    expect(loadConfig({ WORKER_LOCK_DURATION_MS: '2000' }).queue.lockDurationMs).toBe(2000);
    expect(loadConfig({ WORKER_LOCK_DURATION_MS: '1000' }).queue.lockDurationMs).toBe(1000);
  });

  it.each(['999', '0', '-5', '1.5', 'soon'])('refuses %s, naming the variable', (value) => {
    expect(() => loadConfig({ WORKER_LOCK_DURATION_MS: value })).toThrow(/WORKER_LOCK_DURATION_MS/);
  });
});
