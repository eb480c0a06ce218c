import type { FastifyInstance, LightMyRequestResponse as InjectResponse } from 'fastify';
import { afterAll, beforeAll, expect } from 'vitest';
import { Writable } from 'node:stream';
import type { Config } from '../../src/config/config.js';
import { runComponents } from '../../src/composition/run-components.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { PROVIDERS } from '../../src/providers/index.js';
import { createKeyResolver } from '../../src/providers/kakao/jwks.js';
import type { JobQueue } from '../../src/queue/backend.js';
import { createEventQueue, type EventQueue } from '../../src/queue/event-queue.js';
import { DEFAULT_BACKEND, openTestBackend, openUnavailableBackend, type TestBackend } from './backends.js';
import { createTestKey, startJwksServer, type JwksServer, type TestKey } from './kakao-transmitter.js';
import { testConfig } from './test-config.js';
import { atMost } from './wait-for.js';

/** Collects log lines so tests can assert what was logged. */
export function captureLogs() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger('debug', stream) };
}

export interface TestReceiver {
  app: FastifyInstance;
  config: Config;
  key: TestKey;
  jwks: JwksServer;
  queue: EventQueue;
  /** A second view of the queue, for assertions. */
  inspect: JobQueue;
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

/** Opens one store for the test file (before all tests) and closes it after them. */
export function useTestBackend(kind = DEFAULT_BACKEND): () => TestBackend {
  let store: TestBackend | undefined;
  beforeAll(async () => {
    store = await openTestBackend(kind);
  }, 60_000);
  afterAll(async () => {
    await store?.close();
  });
  return () => store!;
}

/**
 * The receiver as the service wires it (the providers' components, then `buildApp`), against a real store and a local JWKS server, driven
 * through `app.inject()`.
 */
export async function startTestReceiver(
  store: TestBackend,
  env: Record<string, string | undefined> = {},
  options: { warm?: boolean } = {},
): Promise<TestReceiver> {
  const key = await createTestKey('kakao-key-1');
  const jwks = await startJwksServer([key]);
  const config = testConfig({ KAKAO_JWKS_URI: jwks.url, ...store.env, ...env });
  const { lines, logger } = captureLogs();
  const queue = createEventQueue({ backend: store.backend, ...config.queue });
  const keys = createKeyResolver(config.kakaoAccountStatus!.jwks, logger);
  if (options.warm !== false) await keys.warmUp();
  // The providers' endpoint components as the service starts them, given this queue and these keys.
  const metrics = createMetrics();
  const providers = await runComponents(
    PROVIDERS.flatMap((provider) => provider.receivers),
    { config, role: 'receiver', logger, metrics, provided: { eventQueue: queue, kakaoKeys: keys, kakaoKeysWarm: Promise.resolve() } },
  );
  const readiness = [{ name: 'store', check: () => queue.isReady() }, ...providers.readiness];
  const { app } = await buildApp(config, { logger, metrics, routes: providers.routes, readiness });
  await app.ready();
  const inspect = store.backend.createQueue(config.queue.name, {});
  inspect.on('error', () => {});
  return {
    app,
    config,
    key,
    jwks,
    queue,
    inspect,
    logs: lines,
    async close() {
      await app.close();
      await providers.close();
      keys.close();
      await queue.close();
      await atMost(inspect.obliterate({ force: true }));
      await atMost(inspect.close());
      await jwks.close();
    },
  };
}

export const SET_CONTENT_TYPE = 'application/secevent+jwt';

export function postSet(app: FastifyInstance, token: string, contentType = SET_CONTENT_TYPE) {
  return app.inject({
    method: 'POST',
    url: '/webhooks/kakao/account-status',
    headers: { 'content-type': contentType, accept: 'application/json' },
    payload: token,
  });
}

/**
 * The outage contract every webhook endpoint keeps: with the store not answering, each request
 * `send` makes gets 503 with Retry-After within the time limit, and nothing about our fault.
 */
export async function expectOutageAnswers503(
  env: Record<string, string | undefined>,
  send: (receiver: TestReceiver) => Promise<InjectResponse>,
  times = 1,
): Promise<void> {
  const down = await openUnavailableBackend(DEFAULT_BACKEND);
  const receiver = await startTestReceiver(down, env);
  try {
    for (let i = 0; i < times; i += 1) {
      const started = Date.now();
      const response = await send(receiver);
      expect(response.statusCode).toBe(503);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.json()).toEqual({ error: 'ERR_QUEUE_UNAVAILABLE', message: 'temporarily unavailable, retry later' });
    }
  } finally {
    await atMost(receiver.close());
    await atMost(down.close());
  }
}
