import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AccountsConfig } from '../../src/accounts/config.js';
import type { AccountStateStore } from '../../src/accounts/store.js';
import { PermanentError } from '../../src/errors.js';
import type { EventOf } from '../../src/events/catalog.js';
import { registerBuiltInHandlers } from '../../src/handlers/built-in.js';
import { createHandlerRegistry } from '../../src/handlers/registry.js';
import type { HandlerContext, HandlerRun } from '../../src/handlers/types.js';
import { createMetrics } from '../../src/metrics.js';
import { parseMetrics } from './scrape.js';

const context: HandlerContext = { log: pino({ level: 'silent' }), attempt: 1, maxAttempts: 3, signal: new AbortController().signal };

function event(type: EventOf['type'], at = new Date(0).toISOString()): EventOf {
  return { id: `id-${type}`, provider: 'kakao', type, sourceType: 'uri', subject: { id: '1' }, occurredAt: at, receivedAt: at, data: {} } as EventOf;
}

describe('handler names and the onHandlerDone observer', () => {
  it('names each registration: the given name, else the function name, else anonymous', async () => {
    const runs: HandlerRun[] = [];
    const registry = createHandlerRegistry({ onHandlerDone: (run) => void runs.push(run) });
    registry.on('kakao.user-unlinked', async () => {}, { name: 'audit' });
    registry.on('kakao.user-unlinked', async function markUnlinked() {});
    registry.on(['kakao.user-unlinked', 'kakao.account-disabled'], () => {});
    registry.onAny(() => {}, { name: 'catch-all' });
    await registry.receive(event('kakao.user-unlinked'), context);
    expect(runs.map((run) => run.handler).sort()).toEqual(['anonymous', 'audit', 'catch-all', 'markUnlinked']);
    expect(runs.every((run) => run.eventType === 'kakao.user-unlinked' && run.failed === false)).toBe(true);
    expect(() => registry.on('kakao.user-unlinked', () => {}, { name: '' })).toThrow(TypeError);
  });

  it('reports the duration of each handler and whether it threw, then still throws the HandlerError', async () => {
    const runs: HandlerRun[] = [];
    const registry = createHandlerRegistry({ onHandlerDone: (run) => void runs.push(run) });
    registry.on('kakao.user-unlinked', () => new Promise((resolve) => setTimeout(resolve, 60)), { name: 'slow' });
    registry.on('kakao.user-unlinked', () => {
      throw new PermanentError('no');
    }, { name: 'permanent' });
    await expect(registry.receive(event('kakao.user-unlinked'), context)).rejects.toThrow('no');
    const byName = Object.fromEntries(runs.map((run) => [run.handler, run]));
    expect(byName.slow).toMatchObject({ failed: false });
    expect(byName.slow!.seconds).toBeGreaterThanOrEqual(0.05);
    expect(byName.permanent).toMatchObject({ failed: true });
  });

  it('a throwing observer neither fails the event nor hides a handler failure', async () => {
    const registry = createHandlerRegistry({
      onHandlerDone: () => {
        throw new Error('observer broke');
      },
    });
    const seen: string[] = [];
    registry.on('kakao.user-unlinked', () => void seen.push('ran'), { name: 'ok' });
    await registry.receive(event('kakao.user-unlinked'), context);
    expect(seen).toEqual(['ran']);
    registry.on('kakao.account-disabled', () => {
      throw new Error('handler broke');
    });
    await expect(registry.receive(event('kakao.account-disabled'), context)).rejects.toThrow('handler broke');
  });

  it('names the built-in handler account-state', async () => {
    const runs: HandlerRun[] = [];
    const registry = createHandlerRegistry({ onHandlerDone: (run) => void runs.push(run) });
    const store = { apply: async () => ({ changed: false }) } as unknown as AccountStateStore;
    registerBuiltInHandlers(registry, { config: { builtInHandlers: ['account-state'] } as unknown as AccountsConfig, store, onPurged: async () => {} });
    // A Logto test payload has no subject: the built-in handler runs and skips it.
    await registry.receive({ ...event('kakao.user-unlinked'), subject: null } as EventOf, context);
    expect(runs.map((run) => run.handler)).toEqual(['account-state']);
  });

  it('becomes webhook_handler_duration_seconds{handler} and webhook_handler_failures_total{handler}', async () => {
    const metrics = createMetrics();
    const registry = createHandlerRegistry({ onHandlerDone: (run) => metrics.observeHandler(run) });
    registry.on('kakao.user-unlinked', () => {}, { name: 'fine' });
    registry.on('kakao.user-unlinked', () => {
      throw new Error('boom');
    }, { name: 'broken' });
    for (let i = 0; i < 3; i += 1) await registry.receive(event('kakao.user-unlinked'), context).catch(() => {});
    const scraped = parseMetrics(await metrics.registry.metrics());
    expect(scraped.value('webhook_handler_duration_seconds_count', { handler: 'fine' })).toBe(3);
    expect(scraped.value('webhook_handler_duration_seconds_count', { handler: 'broken' })).toBe(3);
    expect(scraped.value('webhook_handler_failures_total', { handler: 'broken' })).toBe(3);
    expect(scraped.value('webhook_handler_failures_total', { handler: 'fine' })).toBeUndefined();
  });
});

describe('lag and verification helpers', () => {
  it('observes occurred-to-handled and received-to-handled lag by provider, never negative', async () => {
    const metrics = createMetrics();
    const handledAt = Date.parse('2026-01-01T00:01:00Z');
    metrics.observeHandled({ provider: 'logto', occurredAt: '2026-01-01T00:00:00Z', receivedAt: '2026-01-01T00:00:58Z' }, handledAt);
    metrics.observeHandled({ provider: 'kakao', occurredAt: '2026-01-01T00:02:00Z', receivedAt: '2026-01-01T00:01:00Z' }, handledAt);
    const scraped = parseMetrics(await metrics.registry.metrics());
    expect(scraped.value('webhook_event_occurred_to_handled_seconds_sum', { provider: 'logto' })).toBe(60);
    expect(scraped.value('webhook_event_received_to_handled_seconds_sum', { provider: 'logto' })).toBe(2);
    expect(scraped.value('webhook_event_occurred_to_handled_seconds_sum', { provider: 'kakao' })).toBe(0);
    expect(scraped.value('webhook_event_received_to_handled_seconds_count', { provider: 'kakao' })).toBe(1);
  });

  it('times verification with its outcome: valid, refused (4xx) or unavailable (5xx)', async () => {
    const { rejected, unavailable } = await import('../../src/errors.js');
    const metrics = createMetrics();
    expect(metrics.timeVerification('logto', () => 7)).toBe(7);
    await expect(metrics.timeVerification('kakao', async () => 'ok')).resolves.toBe('ok');
    expect(() => metrics.timeVerification('logto', () => {
      throw rejected('ERR_SIGNATURE_INVALID', 'bad');
    })).toThrow('bad');
    await expect(metrics.timeVerification('kakao', async () => {
      throw unavailable('ERR_JWKS_UNAVAILABLE', 'down', 5);
    })).rejects.toThrow('down');
    const scraped = parseMetrics(await metrics.registry.metrics());
    expect(scraped.value('webhook_verification_seconds_count', { provider: 'logto', outcome: 'valid' })).toBe(1);
    expect(scraped.value('webhook_verification_seconds_count', { provider: 'logto', outcome: 'refused' })).toBe(1);
    expect(scraped.value('webhook_verification_seconds_count', { provider: 'kakao', outcome: 'valid' })).toBe(1);
    expect(scraped.value('webhook_verification_seconds_count', { provider: 'kakao', outcome: 'unavailable' })).toBe(1);
  });
});
