import { expectTypeOf, test } from 'vitest';
import { createHandlerRegistry } from '../../src/handlers/registry.js';
import type { HandlerContext } from '../../src/handlers/types.js';

/** Compiled by tsc during `npm test` (vitest typecheck); nothing here runs. */
test('event names and data are typed', () => {
  const registry = createHandlerRegistry();

  registry.on('kakao.user-unlinked', (event, context) => {
    expectTypeOf(event.type).toEqualTypeOf<'kakao.user-unlinked'>();
    expectTypeOf(event.data.reason).toEqualTypeOf<string | undefined>();
    expectTypeOf(event.subject).toEqualTypeOf<{ id: string; format?: string; iss?: string } | null>();
    expectTypeOf(context).toEqualTypeOf<HandlerContext>();
  });

  registry.on(['kakao.credential-change', 'kakao.account-disabled'], (event) => {
    if (event.type === 'kakao.credential-change') expectTypeOf(event.data.change_type).toEqualTypeOf<string | undefined>();
    // @ts-expect-error credential_type is not a claim of account-disabled
    if (event.type === 'kakao.account-disabled') void event.data.change_type.length;
  });

  // @ts-expect-error a misspelled event name does not compile
  registry.on('kakao.user-unlink', () => {});
  // @ts-expect-error nor does an unknown provider
  registry.on('github.push', () => {});
});
