import { describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import type { EventOf } from '../../src/events/catalog.js';
import { PermanentError } from '../../src/errors.js';
import { createHandlerRegistry, isPermanent } from '../../src/handlers/registry.js';
import { HandlerError, type HandlerContext } from '../../src/handlers/types.js';

const context: HandlerContext = { log: pino({ level: 'silent' }), attempt: 1, maxAttempts: 3, signal: new AbortController().signal };

function event(type: EventOf['type']): EventOf {
  return {
    id: `id-${type}`,
    provider: 'kakao',
    type,
    sourceType: 'uri',
    subject: { id: '1' },
    occurredAt: new Date(0).toISOString(),
    receivedAt: new Date(0).toISOString(),
    data: {},
  } as EventOf;
}

describe('handler registry', () => {
  it('runs the handlers registered for the event type, and onAny handlers, and no others', async () => {
    const registry = createHandlerRegistry();
    const calls: string[] = [];
    registry.on('kakao.user-unlinked', () => void calls.push('unlinked'));
    registry.on(['kakao.account-disabled', 'kakao.user-unlinked'], () => void calls.push('either'));
    registry.on('kakao.account-enabled', () => void calls.push('enabled'));
    registry.onAny((e) => void calls.push(`any:${e.type}`));
    await registry.receive(event('kakao.user-unlinked'), context);
    expect(calls.sort()).toEqual(['any:kakao.user-unlinked', 'either', 'unlinked']);
  });

  it('hands unknown event types to catch-all handlers', async () => {
    const registry = createHandlerRegistry();
    const seen = vi.fn();
    registry.onAny(seen);
    await registry.receive(event('kakao.unknown'), context);
    expect(seen).toHaveBeenCalledOnce();
  });

  it('refuses unknown names and "*" at registration', () => {
    const registry = createHandlerRegistry();
    expect(() => registry.on('kakao.not-a-thing' as never, () => {})).toThrow(/unknown event name "kakao.not-a-thing"/);
    expect(() => registry.on('*' as never, () => {})).toThrow(/onAny/);
    expect(() => registry.on([], () => {})).toThrow(TypeError);
  });

  it('runs every handler even when one fails, then throws one HandlerError and tells the error hooks', async () => {
    const registry = createHandlerRegistry();
    const ran = vi.fn();
    registry.on('kakao.user-unlinked', () => {
      throw new Error('boom');
    });
    registry.on('kakao.user-unlinked', ran);
    const hook = vi.fn();
    registry.onError(hook);
    registry.onError(() => {
      throw new Error('a broken hook is logged, not fatal');
    });
    const error = await registry.receive(event('kakao.user-unlinked'), context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandlerError);
    expect((error as HandlerError).errors.map((e) => (e as Error).message)).toEqual(['boom']);
    expect((error as HandlerError).event.type).toBe('kakao.user-unlinked');
    expect(ran).toHaveBeenCalledOnce();
    expect(hook).toHaveBeenCalledWith(error, context);
  });

  it('is permanent only when every failure is a PermanentError', () => {
    const e = event('kakao.user-unlinked');
    expect(isPermanent(new HandlerError([new PermanentError('no')], e))).toBe(true);
    expect(isPermanent(new HandlerError([new PermanentError('no'), new Error('flaky')], e))).toBe(false);
    expect(isPermanent(new Error('flaky'))).toBe(false);
  });

  it('recognises a permanent failure by its code too (another copy of the class, or none)', () => {
    const e = event('kakao.user-unlinked');
    const foreign = Object.assign(new Error('no'), { code: 'ERR_HANDLER_PERMANENT' });
    expect(isPermanent(new HandlerError([foreign], e))).toBe(true);
    expect(isPermanent(new HandlerError([Object.assign(new Error('flaky'), { code: 'ECONNRESET' })], e))).toBe(false);
    expect(isPermanent({ code: 'ERR_HANDLER_PERMANENT' })).toBe(false); // not an Error
  });

  it('lists the names that have handlers', () => {
    const registry = createHandlerRegistry();
    registry.on(['kakao.user-unlinked', 'kakao.account-purged'], () => {});
    expect(registry.handledNames().sort()).toEqual(['kakao.account-purged', 'kakao.user-unlinked']);
  });
});
