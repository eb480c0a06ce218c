import { expectTypeOf, test } from 'vitest';
import { createHandlerRegistry } from '../../src/handlers/registry.js';
import type { HandlerRun } from '../../src/handlers/types.js';

/** Compiled by tsc during `npm test` (vitest typecheck); nothing here runs. */
test('a registration may carry a name without loosening the event typing', () => {
  const registry = createHandlerRegistry({ onHandlerDone: (run) => expectTypeOf(run).toEqualTypeOf<HandlerRun>() });

  registry.on('kakao.user-unlinked', (event) => {
    expectTypeOf(event.type).toEqualTypeOf<'kakao.user-unlinked'>();
    expectTypeOf(event.data.reason).toEqualTypeOf<string | undefined>();
  }, { name: 'unlink-users' });
  registry.onAny(() => {}, { name: 'audit' });

  // @ts-expect-error a name is a string
  registry.on('kakao.user-unlinked', () => {}, { name: 1 });
  // @ts-expect-error a misspelled event name still does not compile with options
  registry.on('kakao.user-unlink', () => {}, { name: 'x' });
  // @ts-expect-error unknown options are refused
  registry.onAny(() => {}, { label: 'x' });
});
