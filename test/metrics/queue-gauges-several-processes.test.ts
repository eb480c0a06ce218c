import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { PermanentError } from '../../src/errors.js';
import type { EventOf } from '../../src/events/catalog.js';
import { createEventQueue } from '../../src/queue/event-queue.js';
import { startService, type Role, type Service } from '../../src/service.js';
import { BACKENDS } from '../helpers/backends.js';
import { LOGTO_KEY } from '../helpers/logto-signer.js';
import { captureLogs, useTestBackend } from '../helpers/receiver.js';
import { testConfig } from '../helpers/test-config.js';
import { atMost, waitFor } from '../helpers/wait-for.js';
import { scrape, type Scrape } from './scrape.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const RULES = `${ROOT}deploy/prometheus/alerts.yml`;
const PROMTOOL = '/usr/bin/promtool';
/** The gauges that describe the store rather than the process reporting them. */
const STORE_WIDE = ['webhook_queue_jobs', 'webhook_queue_oldest_waiting_seconds'];
const STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'];
const HOUR = 3600_000;

/** The PromQL that README.md's Metrics section gives for the store-wide gauges, one expression a line. */
function documentedQueries(): string[] {
  const readme = readFileSync(`${ROOT}README.md`, 'utf8');
  const section = readme.slice(readme.indexOf('\n### Metrics\n'), readme.indexOf('\n### Alerts\n'));
  return [...section.matchAll(/```promql\n([\s\S]*?)```/g)].flatMap(([, block]) =>
    block!.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#')),
  );
}

interface Rule {
  alert: string;
  expr: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
}
const rules = (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((group) => group.rules);

describe('store-wide queue gauges: the PromQL README.md and the alert rules take them with', () => {
  it('is documented for each store-wide gauge, as one aggregation over the processes, never a sum', () => {
    const queries = documentedQueries();
    for (const name of STORE_WIDE) expect(queries.filter((query) => query.includes(name)), name).toHaveLength(1);
    for (const query of queries) expect(query).toMatch(/^max without \([^)]*\binstance\b[^)]*\) \(webhook_queue_\w+\)$/);
  });

  it('is the one every alert rule on a store-wide gauge uses', () => {
    const aggregation = documentedQueries()[0]!.replace(/\(webhook_queue_\w+\)$/, '');
    const onStoreWide = rules.filter((rule) => STORE_WIDE.some((name) => rule.expr.includes(name)));
    expect(onStoreWide.map((rule) => rule.alert).sort()).toEqual(['WebhookFailedJobsGrowing', 'WebhookQueueBacklog']);
    for (const rule of onStoreWide) {
      expect(rule.expr, rule.alert).toContain(aggregation);
      expect(rule.expr, rule.alert).not.toMatch(/\b(sum|count|avg)\b/);
    }
  });
});

/**
 * 2 receivers and 2 workers on one store, as the issue ran them: each process reports the store's
 * counts, so summing over processes counts the store four times. What Prometheus makes of the
 * series the four processes really export, under the queries README.md documents and under the
 * alert rules, is asked of promtool (`promtool test rules`): the store's count, once.
 */
describe.each(BACKENDS)('queue gauges of 2 receivers and 2 workers on one %s store', (kind) => {
  const store = useTestBackend(kind);
  const services: Service[] = [];
  const scrapes: Scrape[] = [];
  let dir = '';
  let queueName = '';
  const stored = { failed: 3, delayed: 2 };

  beforeAll(async () => {
    const config = testConfig({ ...store().env, KAKAO_AUDIENCE: undefined, LOGTO_SIGNING_KEYS: LOGTO_KEY, JOB_ATTEMPTS: '1' });
    queueName = config.queue.name;
    const { logger } = captureLogs();
    const roles: Role[] = ['receiver', 'receiver', 'worker', 'worker'];
    for (const role of roles) {
      services.push(
        await startService(config, {
          role,
          logger,
          backend: store().backend,
          registerHandlers: (registry) => {
            registry.onAny(() => {
              throw new PermanentError('fails on purpose');
            }, { name: 'fails' });
          },
        }),
      );
    }
    // Jobs the workers fail, and retries waiting an hour.
    const now = new Date().toISOString();
    const event = (id: string): EventOf => ({ id, provider: 'kakao', type: 'kakao.user-unlinked', sourceType: 'uri', subject: { id: '1' }, occurredAt: now, receivedAt: now, data: {} });
    const events = createEventQueue({ backend: store().backend, ...config.queue });
    await events.enqueue(Array.from({ length: stored.failed }, (_, i) => event(`fails-${i}`)));
    await events.close();
    const queue = store().backend.createQueue(config.queue.name, {});
    queue.on('error', () => {});
    for (let i = 0; i < stored.delayed; i += 1) await queue.add('kakao.user-unlinked', event(`later-${i}`), { jobId: `later-${i}`, delay: HOUR });
    await queue.close();

    const urls = services.map((service) => `http://127.0.0.1:${(service.app.server.address() as { port: number }).port}`);
    await waitFor(async () => {
      const all = await Promise.all(urls.map((url) => scrape(url)));
      if (!all.every((s) => s.value('webhook_queue_jobs', { state: 'failed' }) === stored.failed && s.value('webhook_queue_jobs', { state: 'delayed' }) === stored.delayed)) return false;
      scrapes.splice(0, scrapes.length, ...all);
      return true;
    }, { what: 'every process to report the failed and delayed jobs', timeoutMs: 30_000, intervalMs: 200 });
    dir = mkdtempSync(join(tmpdir(), 'queue-gauges-'));
  }, 60_000);

  afterAll(async () => {
    for (const service of services.splice(0).reverse()) await atMost(service.close(), 10_000);
    if (queueName) {
      const queue = store().backend.createQueue(queueName, {});
      queue.on('error', () => {});
      await atMost(queue.obliterate({ force: true }));
      await atMost(queue.close());
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('every process reports the store-wide numbers, so a sum over processes counts them four times', () => {
    expect(scrapes).toHaveLength(4);
    for (const s of scrapes) {
      expect(s.value('webhook_queue_jobs', { state: 'failed' })).toBe(stored.failed);
      expect(s.value('webhook_queue_jobs', { state: 'delayed' })).toBe(stored.delayed);
    }
    const summed = scrapes.reduce((sum, s) => sum + s.value('webhook_queue_jobs', { state: 'failed' })!, 0);
    expect(summed).toBe(4 * stored.failed);
  });

  it.skipIf(!existsSync(PROMTOOL))("the documented queries and the alert rules give the store's counts once (promtool)", () => {
    // The exported series, as Prometheus stores them: job and instance added by the scrape. The
    // failed count is 0 for the first 10 minutes, so WebhookFailedJobsGrowing has a rise to see.
    const series = scrapes.flatMap((s, i) =>
      s.samples
        .filter((sample) => STORE_WIDE.includes(sample.name))
        .map((sample) => ({
          series: `${sample.name}{${Object.entries({ ...sample.labels, job: 'webhook', instance: `process-${i}:3000` }).map(([k, v]) => `${k}="${v}"`).join(',')}}`,
          values: `0x9 ${sample.value}x20`,
        })),
    );
    const labels = (l: Record<string, string>) => `{${Object.entries(l).map(([k, v]) => `${k}="${v}"`).join(', ')}}`;
    const once = scrapes[0]!;
    const expected = (query: string) => {
      const name = STORE_WIDE.find((n) => query.includes(n))!;
      return once.samples.filter((sample) => sample.name === name).map((sample) => ({ labels: labels({ job: 'webhook', ...sample.labels }), value: sample.value }));
    };
    const jobsQuery = documentedQueries().find((query) => query.includes('webhook_queue_jobs'))!;
    expect(expected(jobsQuery)).toContainEqual({ labels: '{job="webhook", state="failed"}', value: stored.failed });
    expect(expected(jobsQuery)).toHaveLength(STATES.length);
    const growing = rules.find((rule) => rule.alert === 'WebhookFailedJobsGrowing')!;
    const test = {
      rule_files: [RULES],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: series,
          promql_expr_test: documentedQueries().map((expr) => ({ expr, eval_time: '15m', exp_samples: expected(expr) })),
          alert_rule_test: [
            {
              eval_time: '15m',
              alertname: growing.alert,
              exp_alerts: [
                {
                  exp_labels: { ...growing.labels, job: 'webhook', state: 'failed' },
                  exp_annotations: { ...growing.annotations, description: growing.annotations.description!.replace('{{ $value }}', String(stored.failed)) },
                },
              ],
            },
          ],
        },
      ],
    };
    const file = join(dir, 'several-processes.test.yml');
    writeFileSync(file, stringify(test));
    let output: string;
    try {
      output = execFileSync(PROMTOOL, ['test', 'rules', file], { encoding: 'utf8' });
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(`promtool test rules failed:\n${stdout ?? ''}${stderr ?? ''}`);
    }
    expect(output).toContain('SUCCESS');
  });
});
