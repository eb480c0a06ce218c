import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKey, setClaims, signSet } from '../helpers/kakao-transmitter.js';
import { DEFAULT_BACKEND, openUnavailableBackend } from '../helpers/backends.js';
import { postSet, startTestReceiver, useTestBackend, type TestReceiver } from '../helpers/receiver.js';
import { atMost } from '../helpers/wait-for.js';

const ENDPOINT = '/webhooks/kakao/account-status';

/**
 * Anyone can sign a SET with a key of their own and a made-up kid. While the JWKS refetch cools
 * down such a token is answered 503 (Kakao's own token after a key rotation looks the same, and
 * its retry must succeed), but those 503s must not read as the endpoint failing: the "answering
 * 5xx" alerts follow webhook_last_failure_timestamp_seconds, and each line used to carry a stack.
 */
describe('SETs with unknown kids during the JWKS refetch cooldown', () => {
  const store = useTestBackend();
  let r: TestReceiver;
  const statuses: number[] = [];

  beforeAll(async () => {
    r = await startTestReceiver(store(), { JWKS_COOLDOWN_MS: '600000' });
    for (let i = 0; i < 30; i += 1) {
      const forger = await createTestKey(`made-up-${i}`);
      statuses.push((await postSet(r.app, await signSet(forger, setClaims()))).statusCode);
    }
  });
  afterAll(async () => {
    await r?.close();
  });

  const metric = async (name: string) => {
    const text = (await r.app.inject({ method: 'GET', url: '/metrics' })).body;
    const line = text.split('\n').find((one) => one.startsWith(`${name}{`) && one.includes(`endpoint="${ENDPOINT}"`));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  };

  it('answers 503 and stores nothing', async () => {
    // The receiver fetched the JWKS as it started, so the cooldown runs from the first request.
    expect(statuses).toEqual(Array(30).fill(503));
    expect(await r.inspect.getJobCounts('waiting')).toEqual({ waiting: 0 });
  });

  it('counts them apart and keeps them out of the last-failure time the 5xx alerts follow', async () => {
    expect(await metric('webhook_unknown_signing_key_total')).toBe(30);
    expect(await metric('webhook_last_failure_timestamp_seconds')).toBeUndefined();
    // Still visible as answers: the requests counter has them under their status.
    const text = (await r.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toContain(`webhook_requests_total{endpoint="${ENDPOINT}",status="503"} 30`);
  });

  it('logs each at warn, without a stack, in a short line', async () => {
    const mine = r.logs.filter((line) => line.code === 'ERR_JWKS_UNKNOWN_KID');
    expect(mine).toHaveLength(30);
    for (const line of mine) {
      expect(line.level).toBe(40);
      expect(JSON.stringify(line)).not.toContain('stack');
      expect(JSON.stringify(line).length).toBeLessThan(400);
    }
    expect(r.logs.filter((line) => Number(line.level) >= 50)).toEqual([]);
  });

  it('a genuine failure of the endpoint (its store out of reach) still moves the last-failure time', async () => {
    const down = await openUnavailableBackend(DEFAULT_BACKEND);
    const failing = await startTestReceiver(down);
    try {
      const response = await postSet(failing.app, await signSet(failing.key, setClaims()));
      expect(response.statusCode).toBe(503);
      const text = (await failing.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(text).toMatch(new RegExp(`webhook_last_failure_timestamp_seconds\\{endpoint="${ENDPOINT}"\\} \\d`));
      expect(text).not.toMatch(/webhook_unknown_signing_key_total\{/);
      const line = failing.logs.find((one) => one.code === 'ERR_QUEUE_UNAVAILABLE')!;
      expect(line.level).toBe(40);
      expect(JSON.stringify(line)).not.toContain('stack');
    } finally {
      await atMost(failing.close());
      await atMost(down.close());
    }
  });
});
