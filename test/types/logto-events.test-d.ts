import { expectTypeOf, test } from 'vitest';
import type { EventName } from '../../src/events/catalog.js';
import { createHandlerRegistry } from '../../src/handlers/registry.js';
import type { LogtoEventDataMap, LogtoEventName, LogtoUserData } from '../../src/providers/logto/events.js';

test('every Logto name has a typed payload, and only those names', () => {
  expectTypeOf<keyof LogtoEventDataMap>().toEqualTypeOf<LogtoEventName>();
  expectTypeOf<'logto.User.Data.Updated'>().toExtend<EventName>();
});

test('a handler for logto.User.Data.Updated gets a typed event', () => {
  const registry = createHandlerRegistry();
  registry.on('logto.User.Data.Updated', (event) => {
    expectTypeOf(event.type).toEqualTypeOf<'logto.User.Data.Updated'>();
    expectTypeOf(event.data.data).toEqualTypeOf<LogtoUserData | null | undefined>();
    expectTypeOf(event.data.data?.primaryEmail).toEqualTypeOf<string | null | undefined>();
    expectTypeOf(event.data.createdAt).toEqualTypeOf<string>();
  });
  registry.on(['logto.Organization.Membership.Updated', 'logto.Grant.LimitExceeded'], (event) => {
    if (event.type === 'logto.Organization.Membership.Updated') expectTypeOf(event.data.addedUserIds).toEqualTypeOf<string[] | undefined>();
    else expectTypeOf(event.data.revokedGrantIds).toEqualTypeOf<string[] | undefined>();
  });
  // @ts-expect-error Logto has no User.Updated event
  registry.on('logto.User.Updated', () => {});
});
