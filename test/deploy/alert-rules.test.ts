import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PermanentError } from '../../src/errors.js';
import { kakaoEvent } from '../helpers/account-api.js';
import { DEFAULT_BACKEND } from '../helpers/backends.js';
import { newSecret, startForwardTarget, type ForwardTarget } from '../helpers/forward-target.js';
import { ADMIN_ENV } from '../helpers/kakao-admin.js';
import { createTestKey, startJwksServer, type JwksServer } from '../helpers/kakao-transmitter.js';
import { LOGTO_KEY, signLogto, userDataUpdated } from '../helpers/logto-signer.js';
import { useTestBackend } from '../helpers/receiver.js';
import { postSetOverHttp, runService, type RunningService } from '../helpers/service.js';
import { testConfig } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';
import { scrape, type Scrape } from '../metrics/scrape.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const RULES = `${ROOT}deploy/prometheus/alerts.yml`;
const RULE_TESTS = `${ROOT}deploy/prometheus/alerts.test.yml`;
const PROMTOOL = '/usr/bin/promtool';
const KAKAO = '/webhooks/kakao/account-status';

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules = (parse(readFileSync(RULES, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((group) => group.rules);

/** A metric selector in a PromQL expression: the name and its label matchers. */
interface Selector {
  name: string;
  matchers: { label: string; op: string; value: string }[];
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'offset', 'bool', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);

/** Every metric selector in `expr`: names not followed by `(` (functions), keywords and grouping label lists left out. */
function selectorsOf(expr: string): Selector[] {
  const bare = expr.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const selectors: Selector[] = [];
  for (const match of bare.matchAll(/(?<![\w:"])([a-zA-Z_:][\w:]*)(?![\w:])\s*(\{[^}]*\})?(\s*\()?/g)) {
    const [, name, braces, call] = match;
    if (call || KEYWORDS.has(name!.toLowerCase())) continue;
    const matchers = [...(braces ?? '').matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)].map(([, label, op, value]) => ({ label: label!, op: op!, value: value! }));
    selectors.push({ name: name!, matchers });
  }
  return selectors;
}

function matches(labels: Record<string, string>, { label, op, value }: Selector['matchers'][number]): boolean {
  const actual = labels[label] ?? '';
  if (op === '=') return actual === value;
  if (op === '!=') return actual !== value;
  const regex = new RegExp(`^(?:${value})$`);
  return op === '=~' ? regex.test(actual) : !regex.test(actual);
}

describe('deploy/prometheus/alerts.yml', () => {
  it('finds the selectors of an expression, not its functions, keywords or grouping labels', () => {
    expect(selectorsOf('max by (job) (max_over_time(a_b{endpoint="/x",status=~"5.."}[3h])) > on (job) c unless d offset 5m and rate(e_total[5m]) > 1e3')).toEqual([
      { name: 'a_b', matchers: [{ label: 'endpoint', op: '=', value: '/x' }, { label: 'status', op: '=~', value: '5..' }] },
      { name: 'c', matchers: [] },
      { name: 'd', matchers: [] },
      { name: 'e_total', matchers: [] },
    ]);
  });

  it('has the rules the runbook needs, each with a severity, a summary and a description', () => {
    const byName = Object.fromEntries(rules.map((rule) => [rule.alert, rule]));
    for (const rule of rules) {
      expect(['warning', 'critical'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
    }
    const kakaoWarning = byName.KakaoAccountStatus5xx!;
    const kakaoCritical = byName.KakaoAccountStatus5xxCritical!;
    expect([kakaoWarning.for, kakaoWarning.labels?.severity]).toEqual(['15m', 'warning']);
    expect([kakaoCritical.for, kakaoCritical.labels?.severity]).toEqual(['1h', 'critical']);
    for (const rule of [kakaoWarning, kakaoCritical]) expect(rule.expr).toContain(`endpoint="${KAKAO}"`);
    expect(kakaoCritical.annotations!.description).toMatch(/three hours/);
    expect(kakaoCritical.annotations!.description).toMatch(/re-enables it by hand in the Kakao Developers console/);
    expect(byName.WebhookFailedJobsGrowing!.expr).toContain('webhook_queue_jobs{state="failed"}');
    expect(byName.WebhookQueueBacklog!.expr).toMatch(/webhook_queue_oldest_waiting_seconds\) > 60$/m);
    expect(byName.KakaoJwksStale!.expr).toBe('webhook_jwks_age_seconds > 3600');
    expect(byName.WebhookStoreDown!.expr).toBe('webhook_store_up == 0');
  });

  it.skipIf(!existsSync(PROMTOOL))('passes promtool check rules and the rule unit tests (promtool test rules)', () => {
    const check = execFileSync(PROMTOOL, ['check', 'rules', RULES], { encoding: 'utf8' });
    expect(check).toMatch(new RegExp(`SUCCESS: ${rules.length} rules found`));
    const unit = execFileSync(PROMTOOL, ['test', 'rules', RULE_TESTS], { encoding: 'utf8' });
    expect(unit).toContain('SUCCESS');
  });

  describe(`uses only metrics the service exports (a service on ${DEFAULT_BACKEND} that has handled and forwarded events)`, () => {
    const store = useTestBackend(DEFAULT_BACKEND);
    let jwks: JwksServer;
    let target: ForwardTarget;
    let running: RunningService;
    let scraped: Scrape;

    beforeAll(async () => {
      const key = await createTestKey('kakao-key-1');
      jwks = await startJwksServer([key]);
      // An application that refuses the first two deliveries (each ends in the failed set at
      // once) and takes the third: both results and two attempt outcomes are exported.
      target = await startForwardTarget((_delivery, n) => ({ status: n <= 2 ? 400 : 204 }));
      const config = testConfig({
        ...store().env,
        KAKAO_JWKS_URI: jwks.url,
        JWKS_COOLDOWN_MS: '0',
        LOGTO_SIGNING_KEYS: LOGTO_KEY,
        ...ADMIN_ENV,
        JOB_ATTEMPTS: '1',
        FORWARD_URL: target.url,
        FORWARD_SECRET: newSecret(),
        FORWARD_ALLOW_HTTP: 'true',
        FORWARD_BACKOFF_MS: '10',
      });
      running = await runService(config, {
        backend: store().backend,
        register: (registry, received) => {
          registry.onAny((event) => void received.push(event), { name: 'record' });
          registry.on('kakao.account-disabled', () => {
            throw new PermanentError('fails on purpose');
          }, { name: 'fails' });
        },
      });
      const { baseUrl } = running;
      const t = Date.now() - 5000;
      expect((await postSetOverHttp(baseUrl, await kakaoEvent(key, 'user-unlinked', '4211', t))).status).toBe(202);
      expect((await postSetOverHttp(baseUrl, await kakaoEvent(key, 'account-disabled', '4211', t + 1000))).status).toBe(202);
      const body = JSON.stringify(userDataUpdated());
      const logto = await fetch(`${baseUrl}/webhooks/logto`, { method: 'POST', headers: { 'content-type': 'application/json', 'logto-signature-sha-256': signLogto(LOGTO_KEY, body) }, body });
      expect(logto.status).toBe(200);
      await waitFor(() => running.received.length >= 3, { what: 'three events handled' });
      // A 5xx on the Kakao endpoint: a new key while the JWKS answers 500.
      jwks.mode = 'error';
      expect((await postSetOverHttp(baseUrl, await kakaoEvent(await createTestKey('kakao-key-2'), 'user-unlinked', '4211', t + 2000))).status).toBe(503);
      scraped = await waitFor(async () => {
        const s = await scrape(baseUrl);
        const failedJob = s.value('webhook_queue_jobs', { state: 'failed' }) === 1;
        const deliveries = s.value('webhook_forward_deliveries_total', { target: 'default', result: 'failed' }) === 2 && s.value('webhook_forward_deliveries_total', { target: 'default', result: 'delivered' }) === 1;
        return failedJob && deliveries ? s : undefined;
      }, { what: 'the failed job, the two failed deliveries and the delivered one' });
      expect(target.received).toHaveLength(3);
    }, 60_000);

    afterAll(async () => {
      await running?.close(); // its queues too, the refused deliveries' included
      await target?.close();
      await jwks?.close();
    });

    const selectors = [
      ...new Map(rules.flatMap((rule) => selectorsOf(rule.expr).map((selector) => [JSON.stringify([rule.alert, selector]), { rule: rule.alert, ...selector }] as const))).values(),
    ];

    it('finds metrics in every rule', () => {
      for (const rule of rules) expect(selectorsOf(rule.expr).length, rule.alert).toBeGreaterThan(0);
      expect(new Set(selectors.map((s) => s.name))).toEqual(
        new Set([
          'webhook_last_failure_timestamp_seconds',
          'webhook_last_success_timestamp_seconds',
          'webhook_queue_jobs',
          'webhook_queue_oldest_waiting_seconds',
          'webhook_jwks_age_seconds',
          'webhook_store_up',
          'webhook_metrics_collect_errors_total',
          'webhook_forward_deliveries_total',
          'webhook_forward_attempt_duration_seconds_count',
        ]),
      );
    });

    it.each(selectors.map((s) => [`${s.rule}: ${s.name}${s.matchers.length ? `{${s.matchers.map((m) => `${m.label}${m.op}"${m.value}"`).join(',')}}` : ''}`, s] as const))(
      '%s is exported',
      (_title, selector) => {
        // A histogram's _count and _sum series belong to the family of its base name.
        const family = scraped.families.has(selector.name) ? selector.name : selector.name.replace(/_(count|sum|bucket)$/, '');
        expect(scraped.families.has(family), `# TYPE ${family}`).toBe(true);
        const series = scraped.samples.filter((sample) => sample.name === selector.name && selector.matchers.every((m) => matches(sample.labels, m)));
        expect(series.length, `a series of ${selector.name} matching the rule's labels`).toBeGreaterThan(0);
      },
    );
  });
});
