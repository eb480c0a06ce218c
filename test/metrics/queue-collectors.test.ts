import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebhookEvent } from '../../src/events/envelope.js';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import { createReadQueues } from '../../src/queue/read-queues.js';
import { registerQueueCollectors, type QueueCollector } from '../../src/observability/collectors.js';
import type { JobQueue, QueueBackend } from '../../src/queue/backend.js';
import { postgresBackendFromUrl } from '../../src/queue/backends/postgres-backend.js';
import { createRedisBackend } from '../../src/queue/backends/redis-backend.js';
import { BACKENDS, isRedis, openUnavailableBackend } from '../helpers/backends.js';
import { useTestBackend } from '../helpers/receiver.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { atMost } from '../helpers/wait-for.js';
import { parseMetrics } from './scrape.js';

const silent = pino({ level: 'silent' });
const envelope = (id: string) => ({ id, type: 'kakao.user-unlinked' }) as unknown as WebhookEvent;

async function timedScrape(metrics: Metrics) {
  const started = performance.now();
  const text = await metrics.registry.metrics();
  return { scraped: parseMetrics(text), ms: performance.now() - started };
}

describe.each(BACKENDS)('queue metrics read at scrape time, on %s', (kind) => {
  const store = useTestBackend(kind);
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await atMost(step(), 3000);
  });

  function collect(backend: QueueBackend, name: string) {
    const metrics = createMetrics();
    const queues = createReadQueues(backend);
    cleanup.push(() => queues.close());
    const collector: QueueCollector = registerQueueCollectors(metrics, { read: (read) => queues.read(name, read), ping: () => backend.ping() });
    cleanup.push(() => collector.close());
    return metrics;
  }
  function producer(backend: QueueBackend, name: string): JobQueue {
    const queue = backend.createQueue(name, {});
    queue.on('error', () => {});
    cleanup.push(async () => {
      await queue.obliterate({ force: true });
      await queue.close();
    });
    return queue;
  }

  it('exports jobs by state, the age of the oldest waiting job, and store up', async () => {
    const name = `metrics-${randomUUID()}`;
    const queue = producer(store().backend, name);
    const metrics = collect(store().backend, name);

    let { scraped } = await timedScrape(metrics);
    for (const state of ['waiting', 'active', 'delayed', 'failed', 'completed']) expect(scraped.value('webhook_queue_jobs', { state })).toBe(0);
    expect(scraped.value('webhook_queue_oldest_waiting_seconds')).toBe(0);
    expect(scraped.value('webhook_store_up')).toBe(1);

    await queue.add('kakao.user-unlinked', envelope('first'), { jobId: 'first' });
    await sleep(1200);
    await queue.add('kakao.user-unlinked', envelope('second'), { jobId: 'second' });
    await queue.add('kakao.user-unlinked', envelope('third'), { jobId: 'third' });
    await queue.add('kakao.user-unlinked', envelope('later'), { jobId: 'later', delay: 60_000 });

    ({ scraped } = await timedScrape(metrics));
    expect(scraped.value('webhook_queue_jobs', { state: 'waiting' })).toBe(3);
    expect(scraped.value('webhook_queue_jobs', { state: 'delayed' })).toBe(1);
    // The first job's age, not the newest's, whichever end of the list the store calls first.
    const oldest = scraped.value('webhook_queue_oldest_waiting_seconds')!;
    expect(oldest).toBeGreaterThanOrEqual(1.2);
    expect(oldest).toBeLessThan(10);
    expect(scraped.value('webhook_metrics_collect_errors_total')).toBe(0);
  });

  it('pins why both ends are read: getWaiting(0, 0) is the oldest job on Redis, the newest on PostgreSQL (bullmq 6.7)', async () => {
    const queue = producer(store().backend, `metrics-${randomUUID()}`);
    for (const id of ['a', 'b', 'c']) {
      await queue.add('kakao.user-unlinked', envelope(id), { jobId: id });
      await sleep(5);
    }
    const first = (await queue.getWaiting(0, 0)).map((job) => job.id);
    expect(first).toEqual(isRedis(kind) ? ['a'] : ['c']);
  });

  // A proxy cannot stand in front of a cluster (clients follow the addresses its nodes announce).
  it.skipIf(kind === 'cluster')('a scrape of a store that does not answer ends within the timeout, keeps the last values and counts a collect error', async () => {
    let proxy: TcpProxy | undefined;
    let backend: QueueBackend;
    if (kind === 'embedded') {
      // No socket to cut in the process; a closed embedded store is what "down" means here.
      const down = await openUnavailableBackend('embedded');
      backend = down.backend;
    } else {
      proxy = await startTcpProxy(kind === 'redis' ? 6379 : 5432);
      cleanup.push(() => proxy!.close());
      backend = kind === 'redis'
        ? createRedisBackend(`redis://127.0.0.1:${proxy.port}`, silent)
        : await postgresBackendFromUrl(`postgres://postgres@127.0.0.1:${proxy.port}/test`, silent);
      cleanup.push(() => backend.close());
    }
    const name = `metrics-${randomUUID()}`;
    const metrics = collect(backend, name);

    if (proxy) {
      const queue = producer(store().backend, name);
      await queue.add('kakao.user-unlinked', envelope('one'), { jobId: 'one' });
      const { scraped } = await timedScrape(metrics);
      expect(scraped.value('webhook_queue_jobs', { state: 'waiting' })).toBe(1);
      expect(scraped.value('webhook_store_up')).toBe(1);
      proxy.blackhole(); // connections stay open and go silent: a hanging store
    }

    for (let scrapeNo = 1; scrapeNo <= 2; scrapeNo += 1) {
      const { scraped, ms } = await timedScrape(metrics);
      expect(ms).toBeLessThan(1000);
      expect(scraped.value('webhook_store_up')).toBe(0);
      expect(scraped.value('webhook_queue_jobs', { state: 'waiting' })).toBe(proxy ? 1 : undefined);
    }
    // Counted during the two scrapes; visible from the next one.
    const { scraped } = await timedScrape(metrics);
    expect(scraped.value('webhook_metrics_collect_errors_total')).toBeGreaterThanOrEqual(2);
  });
});
