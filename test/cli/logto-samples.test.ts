// Logto's own event list, from @logto/schemas (a dev dependency, pinned to the version compared).
// Only modules that import nothing but zod load here: the package is written for zod 3 and runs
// against this project's zod 4 (package.json `overrides`), which the rest of its code does not survive.
import { DataHookSchema, hookEvents, InteractionHookEvent } from '@logto/schemas/lib/foundations/jsonb-types/hooks.js';
import { describe, expect, it } from 'vitest';
import { LOGTO_EVENT_TYPES, type LogtoKnownEventName } from '../../src/providers/logto/events.js';

/** The receiver knows the events Logto sends: its catalog against @logto/schemas. */
const KNOWN = Object.keys(LOGTO_EVENT_TYPES) as LogtoKnownEventName[];

describe('the Logto event catalog', () => {
  it('names every event of @logto/schemas, no other, each in its family', () => {
    expect([...KNOWN].sort()).toEqual(hookEvents.map((event) => `logto.${event}`).sort());
    const interaction = new Set<string>(Object.values(InteractionHookEvent));
    const dataSchemas = new Set<string>(Object.values(DataHookSchema));
    for (const event of hookEvents) {
      const family = interaction.has(event) ? 'interaction' : dataSchemas.has(event.split('.')[0]!) ? 'data' : 'exception';
      expect(LOGTO_EVENT_TYPES[`logto.${event}` as LogtoKnownEventName], event).toBe(family);
    }
  });
});
