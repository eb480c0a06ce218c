import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { createTestKey, startJwksServer, TEST_AUDIENCE, type JwksServer, type TestKey } from '../helpers/kakao-transmitter.js';
import { LOGTO_KEY } from '../helpers/logto-signer.js';
import { startOwnRedis, type OwnRedis, type OwnRedisOptions } from '../helpers/redis-server.js';
import { startRedisSentinel, type OwnSentinelSetup } from '../helpers/redis-topologies.js';
import { atMost } from '../helpers/wait-for.js';
import { FAULT_API_TOKEN } from './effects.js';
import { startService, uniqueQueueName, type Role, type ServiceProcess } from './service-process.js';

/**
 * Everything one fault test starts (service processes, its own Redis, a JWKS server, temporary
 * directories), stopped and removed after the test whether it passed or not. A failed test
 * prints the end of each service's log, which is where the cause usually shows.
 */
export interface FaultScene {
  tempDir(prefix: string): string;
  redis(options?: OwnRedisOptions): Promise<OwnRedis>;
  /** A master with replicas behind sentinels, all its own (see startRedisSentinel); stopped after the test. */
  sentinel(options?: Parameters<typeof startRedisSentinel>[0]): Promise<OwnSentinelSetup>;
  /** Kakao's signing key, served from a JWKS server in this process. */
  kakao(): Promise<TestKey>;
  /**
   * Environment for the service: both providers and the account API enabled, the test's JWKS
   * server, a queue of its own, and `store` (REDIS_URL or DATA_DIR).
   */
  serviceEnv(store: Record<string, string>): Record<string, string>;
  service(role: Role, env: Record<string, string>): Promise<ServiceProcess>;
}

export function useFaultScene(): () => FaultScene {
  let current: (FaultScene & { cleanup(failed: boolean): Promise<void> }) | undefined;
  beforeEach(() => {
    current = createFaultScene();
  });
  afterEach(async (context) => {
    await current?.cleanup(context.task.result?.state === 'fail');
    current = undefined;
  });
  return () => current!;
}

function createFaultScene() {
  const services: ServiceProcess[] = [];
  const redises: OwnRedis[] = [];
  const sentinels: OwnSentinelSetup[] = [];
  const dirs: string[] = [];
  let jwks: JwksServer | undefined;
  let key: TestKey | undefined;

  return {
    tempDir(prefix: string) {
      const dir = mkdtempSync(join(tmpdir(), `fault-${prefix}-`));
      dirs.push(dir);
      return dir;
    },
    async redis(options: OwnRedisOptions = {}) {
      const redis = await startOwnRedis(options);
      redises.push(redis);
      return redis;
    },
    async sentinel(options: Parameters<typeof startRedisSentinel>[0] = {}) {
      const setup = await startRedisSentinel(options);
      sentinels.push(setup);
      return setup;
    },
    async kakao() {
      key ??= await createTestKey('fault-kakao-key');
      jwks ??= await startJwksServer([key]);
      return key;
    },
    serviceEnv(store: Record<string, string>) {
      if (!jwks) throw new Error('call kakao() before serviceEnv(): the service fetches the JWKS at start-up');
      return {
        QUEUE_NAME: uniqueQueueName(),
        KAKAO_AUDIENCE: TEST_AUDIENCE,
        KAKAO_JWKS_URI: jwks.url,
        LOGTO_SIGNING_KEYS: LOGTO_KEY,
        ACCOUNT_API_TOKENS: FAULT_API_TOKEN,
        // A handler that fails while its store is down is retried soon after, not seconds later.
        JOB_BACKOFF_MS: '100',
        ...store,
      };
    },
    async service(role: Role, env: Record<string, string>) {
      const service = await startService(role, env);
      services.push(service);
      return service;
    },
    async cleanup(failed: boolean) {
      if (failed) {
        for (const service of services) console.error(`--- last log lines of --role ${service.role} (pid ${service.child.pid}) ---\n${service.output().slice(-4000)}`);
      }
      await Promise.all(services.map((service) => atMost(service.kill(), 5000)));
      await Promise.all(redises.map((redis) => atMost(redis.stop(), 5000)));
      await Promise.all(sentinels.map((setup) => atMost(setup.stop(), 5000)));
      if (jwks) await atMost(jwks.close());
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}
