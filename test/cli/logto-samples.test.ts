// Logto's own lists and row guards, from @logto/schemas (a dev dependency, pinned to the version
// compared). Only modules that import nothing but zod load here: the package is written for zod 3
// and runs against this project's zod 4 (package.json `overrides`), which the rest of its code
// does not survive. Organizations and trusted devices therefore have no guard below.
import { OrganizationRoles } from '@logto/schemas/lib/db-entries/organization-role.js';
import { OrganizationScopes } from '@logto/schemas/lib/db-entries/organization-scope.js';
import { Roles } from '@logto/schemas/lib/db-entries/role.js';
import { Scopes } from '@logto/schemas/lib/db-entries/scope.js';
import { UserSignInCountries } from '@logto/schemas/lib/db-entries/user-sign-in-country.js';
import {
  DataHookSchema,
  hookEvents,
  InteractionHookEvent,
  managementApiHooksRegistration,
} from '@logto/schemas/lib/foundations/jsonb-types/hooks.js';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { logtoPayload } from '../../src/cli/send/logto-payloads.js';
import { LOGTO_EVENT_TYPES, type LogtoEventName, type LogtoKnownEventName } from '../../src/providers/logto/events.js';
import { logtoPayloadSchema } from '../../src/providers/logto/payload-schemas.js';

/**
 * `npm run cli -- send logto.<event>` sends what Logto sends: each sample against @logto/schemas
 * and against what Logto core's sending code puts in the payload.
 */
const NOW = new Date('2026-12-01T00:00:00.000Z');
const USER = 'u1';
const KNOWN = Object.keys(LOGTO_EVENT_TYPES) as LogtoKnownEventName[];
type Payload = Record<string, unknown>;
const sample = (name: LogtoEventName): Payload => logtoPayload(name, USER, NOW, 'logto-samples-test');
const objectOf = (value: unknown): Payload => {
  expect(value).toBeTypeOf('object');
  return value as Payload;
};

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

describe('the send command\'s Logto samples', () => {
  it('each passes the receiver\'s own payload schema for its event', () => {
    for (const name of [...KNOWN, 'logto.unknown'] as const) {
      const result = logtoPayloadSchema(name).safeParse(sample(name));
      expect(result.error?.issues ?? [], name).toEqual([]);
    }
  });

  // Events that Logto raises from a route by hand rather than through its registration table.
  const RAISED_BY_ROUTE: Partial<Record<LogtoKnownEventName, string>> = {
    'logto.User.Deleted': 'DELETE /users/:userId',
    'logto.Organization.Membership.Updated': 'POST /organizations/:id/users',
    'logto.TrustedDevice.Deleted': 'DELETE /users/:userId/trusted-devices/:trustedDeviceId',
  };
  /**
   * The status each Management API route of Logto answers on success: POST creates (201) except
   * the two oldest routes, which answer 200; PATCH answers the entity; DELETE and PUT no body.
   */
  const routeStatus = (key: string) =>
    key === 'POST /users' || key === 'POST /roles' ? 200 : ({ POST: 201, PATCH: 200, PUT: 204, DELETE: 204 } as Record<string, number>)[key.split(' ')[0]!];

  it('a Management API sample names a route that raises its event in Logto, its path, and the status that route answers', () => {
    let routes = 0;
    for (const name of KNOWN) {
      const payload = sample(name);
      if (payload.matchedRoute === undefined) continue;
      routes += 1;
      const key = `${String(payload.method)} ${String(payload.matchedRoute)}`;
      const registered = (managementApiHooksRegistration as Record<string, string>)[key];
      expect(registered === name.slice('logto.'.length) || RAISED_BY_ROUTE[name] === key, `${name}: ${key}`).toBe(true);
      const params = objectOf(payload.params) as Record<string, string>;
      expect(payload.path, name).toBe(String(payload.matchedRoute).replace(/:(\w+)/g, (_match, param: string) => params[param] ?? `:${param}`));
      expect(payload.status, `${name}: ${key}`).toBe(routeStatus(key));
    }
    expect(routes).toBeGreaterThan(20);
  });

  it('an entity\'s data is the row Logto answers with, tenantId included', () => {
    const rowGuards: [string, z.ZodType][] = [
      ['logto.Role.', Roles.guard.strict() as unknown as z.ZodType],
      ['logto.Scope.', Scopes.guard.strict() as unknown as z.ZodType],
      ['logto.OrganizationRole.', OrganizationRoles.guard.strict() as unknown as z.ZodType],
      ['logto.OrganizationScope.', OrganizationScopes.guard.strict() as unknown as z.ZodType],
    ];
    let checked = 0;
    for (const name of KNOWN) {
      const { data } = sample(name);
      if (data === undefined) continue;
      const rows = name === 'logto.Role.Scopes.Updated' ? (data as unknown[]) : [data];
      const guard = name === 'logto.Role.Scopes.Updated' ? Scopes.guard.strict() : rowGuards.find(([prefix]) => name.startsWith(prefix))?.[1];
      if (name.startsWith('logto.Organization.')) {
        expect(objectOf(data).tenantId, name).toBeTypeOf('string');
        checked += 1;
      }
      if (!guard) continue;
      for (const row of rows) expect(guard.safeParse(row).error?.issues ?? [], name).toEqual([]);
      checked += 1;
    }
    // Created and Data.Updated of the five entities, and Role.Scopes.Updated's scope list.
    expect(checked).toBe(11);
  });

  it('TrustedDevice events carry no ip, and the device as id, userId and expiresAt only', () => {
    for (const name of ['logto.TrustedDevice.Created', 'logto.TrustedDevice.Deleted'] as const) {
      const payload = sample(name);
      expect(Object.hasOwn(payload, 'ip'), name).toBe(false);
      const data = objectOf(payload.data);
      expect(Object.keys(data).sort(), name).toEqual(['expiresAt', 'id', 'userId']);
      expect(data.userId, name).toBe(USER);
      expect(data.expiresAt, name).toBeTypeOf('number');
    }
  });

  it('Grant.LimitExceeded names the registered application by applicationId and application, with no cimdClientId', () => {
    const payload = sample('logto.Grant.LimitExceeded');
    expect(Object.hasOwn(payload, 'cimdClientId')).toBe(false);
    expect(payload.applicationId).toBeTypeOf('string');
    expect(objectOf(payload.application)).toMatchObject({ id: payload.applicationId });
    expect(payload).toMatchObject({ userId: USER, revokedGrantIds: [expect.any(String)], maxAllowedGrants: expect.any(Number) });
    expect(payload.preRevocationActiveGrantCount).toBeGreaterThan(payload.maxAllowedGrants as number);
  });

  it('the adaptive-MFA new_country rule details the current country, the window and the recent countries', () => {
    const result = objectOf(sample('logto.PostSignInAdaptiveMfaTriggered').adaptiveMfaResult);
    const rule = (result.triggeredRules as Payload[]).find((triggered) => triggered.rule === 'new_country');
    const details = objectOf(rule?.details);
    expect(Object.keys(details).sort()).toEqual(['currentCountry', 'recentCountries', 'windowDays']);
    expect(details.currentCountry).toBeTypeOf('string');
    expect(details.windowDays).toBeTypeOf('number');
    const recent = UserSignInCountries.guard.pick({ country: true, lastSignInAt: true }).strict();
    for (const country of details.recentCountries as unknown[]) expect(recent.safeParse(country).error?.issues ?? []).toEqual([]);
    expect((details.recentCountries as Payload[]).map((country) => country.country)).not.toContain(details.currentCountry);
  });
});
