import { randomUUID } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config/config.js';
import { TEST_REDIS_URL } from './backends.js';
import { TEST_AUDIENCE } from './kakao-transmitter.js';

/** A config for one test: its own queue name, port 0, silent logs, fast retries. */
export function testConfig(env: Record<string, string | undefined> = {}): Config {
  return loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_NAME: `test-${randomUUID()}`,
    KAKAO_AUDIENCE: TEST_AUDIENCE,
    JOB_BACKOFF_MS: '50',
    // Tests read /metrics right after what they count; the once-a-second render is tested apart.
    METRICS_CACHE_MS: '0',
    ...env,
  });
}
