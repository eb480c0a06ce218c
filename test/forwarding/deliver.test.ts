import { afterEach, describe, expect, it } from 'vitest';
import { deliver, type AttemptResult, type DeliveryRequest } from '../../src/forwarding/deliver.js';
import { MIN_RETRY_AFTER_MS } from '../../src/forwarding/retry-after.js';
import { createSigner } from '../../src/forwarding/sign.js';
import { newSecret, startForwardTarget, verifyDelivery, type ForwardTarget, type TargetAnswer } from '../helpers/forward-target.js';
import { waitFor } from '../helpers/wait-for.js';

const SECRET = newSecret();
const BODY = JSON.stringify({ id: 'evt_123', type: 'kakao.user-unlinked', data: { note: '한글, "quoted" \n newline' } });
const USER_AGENT = 'webhook-receiver-test/1.0';

const targets: ForwardTarget[] = [];
afterEach(async () => {
  await Promise.all(targets.splice(0).map((target) => target.close()));
});

async function target(answer: (n: number) => TargetAnswer = () => ({ status: 200 })): Promise<ForwardTarget> {
  const started = await startForwardTarget((_delivery, n) => answer(n));
  targets.push(started);
  return started;
}

function request(url: string, overrides: Partial<DeliveryRequest> = {}): DeliveryRequest {
  return { url, body: BODY, headers: createSigner([SECRET])('evt_123', BODY, new Date()), timeoutMs: 5000, userAgent: USER_AGENT, ...overrides };
}

/** The fields of a failed attempt (the test fails on a delivered one). */
function failed(result: AttemptResult) {
  if (result.outcome === 'delivered') return expect.unreachable(`expected a failed attempt, got ${JSON.stringify(result)}`);
  return result;
}

describe('deliver', () => {
  it.each([200, 201, 202, 204])('a %i answer is delivered', async (status) => {
    const app = await target(() => ({ status, body: status === 204 ? '' : 'ok' }));
    expect(await deliver(request(app.url))).toEqual({ outcome: 'delivered', status });
    expect(app.received).toHaveLength(1);
  });

  it('POSTs the exact body as JSON with the user-agent and the three webhook headers', async () => {
    const app = await target();
    const headers = createSigner([SECRET])('evt_123', BODY, new Date());
    await deliver(request(app.url, { headers }));
    expect(app.received).toHaveLength(1);
    const received = app.received[0]!;
    expect(received.method).toBe('POST');
    expect(received.path).toBe('/hooks');
    expect(received.body).toBe(BODY);
    expect(received.headers['content-type']).toBe('application/json');
    expect(received.headers['user-agent']).toBe(USER_AGENT);
    expect(received.headers['webhook-id']).toBe(headers['webhook-id']);
    expect(received.headers['webhook-timestamp']).toBe(headers['webhook-timestamp']);
    expect(received.headers['webhook-signature']).toBe(headers['webhook-signature']);
    expect(verifyDelivery(SECRET, received)).toEqual(JSON.parse(BODY));
  });

  it.each([301, 302, 303, 307, 308])('a %i redirect fails for good and is not followed', async (status) => {
    const elsewhere = await target();
    const app = await target(() => ({ status, headers: { location: elsewhere.url } }));
    const result = failed(await deliver(request(app.url)));
    expect(result).toMatchObject({ outcome: 'redirected', retryable: false, status });
    expect(result.detail).toMatch(new RegExp(`^answered ${status} .*not followed`));
    expect(app.received).toHaveLength(1);
    expect(elsewhere.received).toHaveLength(0);
  });

  it.each([400, 401, 403, 404, 413, 422])('a %i answer is rejected for good', async (status) => {
    const app = await target(() => ({ status, body: 'no such hook' }));
    const result = failed(await deliver(request(app.url)));
    expect(result).toMatchObject({ outcome: 'rejected', retryable: false, status });
    expect(result.detail).toBe(`answered ${status}: no such hook`);
    expect(result.summary).toBe(`answered ${status}`); // what the log gets: never the answer's words
    expect(result.retryAfterMs).toBeUndefined();
  });

  it('a 410 is rejected for good, and the detail says the application is Gone', async () => {
    const app = await target(() => ({ status: 410 }));
    const result = failed(await deliver(request(app.url)));
    expect(result).toMatchObject({ outcome: 'rejected', retryable: false, status: 410 });
    expect(result.detail).toMatch(/^answered 410.*410 Gone/);
  });

  it.each([408, 500, 502, 503, 504])('a %i answer is a server error worth a retry', async (status) => {
    const app = await target(() => ({ status, body: 'busy' }));
    const result = failed(await deliver(request(app.url)));
    expect(result).toMatchObject({ outcome: 'server_error', retryable: true, status, detail: `answered ${status}: busy` });
    expect(result.retryAfterMs).toBeUndefined();
  });

  it('a 429 with Retry-After: 2 is rate_limited, retried after 2 s', async () => {
    const app = await target(() => ({ status: 429, headers: { 'retry-after': '2' } }));
    expect(failed(await deliver(request(app.url)))).toMatchObject({ outcome: 'rate_limited', retryable: true, status: 429, retryAfterMs: 2000 });
  });

  it('a 429 without Retry-After is rate_limited with no retryAfterMs', async () => {
    const app = await target(() => ({ status: 429 }));
    const result = failed(await deliver(request(app.url)));
    expect(result).toMatchObject({ outcome: 'rate_limited', retryable: true, status: 429 });
    expect(result.retryAfterMs).toBeUndefined();
  });

  it('a 503 with an HTTP-date Retry-After is retried at that time', async () => {
    const app = await target(() => ({ status: 503, headers: { 'retry-after': new Date(Date.now() + 60_000).toUTCString() } }));
    const result = failed(await deliver(request(app.url)));
    expect(result).toMatchObject({ outcome: 'server_error', retryable: true, status: 503 });
    expect(result.retryAfterMs).toBeGreaterThan(30_000);
    expect(result.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('a 503 with Retry-After: 0 gets the minimum delay', async () => {
    const app = await target(() => ({ status: 503, headers: { 'retry-after': '0' } }));
    expect(failed(await deliver(request(app.url))).retryAfterMs).toBe(MIN_RETRY_AFTER_MS);
  });

  it('a Retry-After on a rejection is ignored (it fails for good anyway)', async () => {
    const app = await target(() => ({ status: 400, headers: { 'retry-after': '5' } }));
    const result = failed(await deliver(request(app.url)));
    expect(result.outcome).toBe('rejected');
    expect(result.retryAfterMs).toBeUndefined();
  });

  it('a target slower than timeoutMs is a timeout worth a retry', async () => {
    const app = await target(() => ({ status: 200, delayMs: 2000 }));
    const result = failed(await deliver(request(app.url, { timeoutMs: 300 })));
    expect(result).toMatchObject({ outcome: 'timeout', retryable: true, detail: 'no answer within 300 ms' });
    expect(result.status).toBeUndefined();
  });

  it('a closed port is a connection error worth a retry, naming the reason', async () => {
    const gone = await startForwardTarget();
    const url = gone.url;
    await gone.close();
    const result = failed(await deliver(request(url)));
    expect(result).toMatchObject({ outcome: 'connection_error', retryable: true });
    expect(result.detail).toMatch(/^cannot reach the target: .*ECONNREFUSED/);
    expect(result.status).toBeUndefined();
  });

  it('a host that does not resolve is a connection error worth a retry', async () => {
    const result = failed(await deliver(request('https://forward-target.invalid/hooks', { timeoutMs: 5000 })));
    expect(result).toMatchObject({ retryable: true });
    expect(['connection_error', 'timeout']).toContain(result.outcome);
  });

  it('keeps at most a one-line excerpt of about 200 characters of a large answer', async () => {
    const chunk = 'line one\r\nline\ttwo\u0000\u001b[31mred\u007f\n';
    const big = chunk.repeat(Math.ceil(100_000 / chunk.length));
    const app = await target(() => ({ status: 500, body: big }));
    const result = failed(await deliver(request(app.url)));
    expect(result.outcome).toBe('server_error');
    expect(result.detail.startsWith('answered 500: line one line two [31mred line one')).toBe(true);
    // eslint-disable-next-line no-control-regex
    expect(result.detail).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect(result.detail).not.toMatch(/\s{2,}/);
    expect(result.detail.length).toBeLessThanOrEqual('answered 500: '.length + 201);
    expect(result.detail.endsWith('…')).toBe(true);
  });

  it('turns Unicode line separators in the answer into spaces too', async () => {
    const app = await target(() => ({ status: 400, body: 'first\u2028second\u2029third' }));
    expect(failed(await deliver(request(app.url))).detail).toBe('answered 400: first second third');
  });

  it('replaces C1 control characters (U+0080 to U+009F, NEL among them) as well', async () => {
    const app = await target(() => ({ status: 400, body: 'first\u0085second\u009bthird' }));
    expect(failed(await deliver(request(app.url))).detail).toBe('answered 400: first second third');
  });

  it('an abort of the given signal ends a request in flight', async () => {
    const app = await target(() => ({ status: 200, delayMs: 20_000 }));
    const controller = new AbortController();
    const pending = deliver(request(app.url, { timeoutMs: 25_000, signal: controller.signal }));
    await waitFor(() => app.received.length === 1, { what: 'the request to reach the target' });
    controller.abort();
    const result = failed(await pending);
    expect(result.outcome).not.toBe('timeout');
    expect(result.retryable).toBe(true);
  });

  it('an already aborted signal sends nothing', async () => {
    const app = await target();
    const result = failed(await deliver(request(app.url, { signal: AbortSignal.abort() })));
    expect(result.outcome).not.toBe('timeout');
    expect(app.received).toHaveLength(0);
  });
});
