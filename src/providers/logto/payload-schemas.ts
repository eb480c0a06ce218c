import { z } from 'zod';
import { LOGTO_EVENT_TYPES, type LogtoEventName } from './events.js';

/**
 * Runtime checks behind the types in events.ts. Every object is loose: Logto's own payload types
 * allow extra keys, and a field we do not know yet must reach handlers, not fail the request. Only
 * `event` and `createdAt` are required; other fields are checked for their type when present,
 * because an event refused here is gone (Logto does not redeliver a 4xx).
 * `data` is deliberately not checked inside: what it holds depends on the route that fired the
 * event (a user, only customData, a scope list, `{ "result": "success" }` in test payloads).
 */
const optionalString = z.string().optional();

const application = z.looseObject({ id: z.string(), type: optionalString, name: optionalString, description: z.string().nullish() });

/** Checked only where we promise it: the interaction `user` is always the full user info. */
export const logtoUserSchema = z.looseObject({
  id: z.string(),
  username: z.string().nullish(),
  primaryEmail: z.string().nullish(),
  primaryPhone: z.string().nullish(),
  name: z.string().nullish(),
  avatar: z.string().nullish(),
  customData: z.looseObject({}).optional(),
  profile: z.looseObject({}).optional(),
  applicationId: z.string().nullish(),
  isSuspended: z.boolean().optional(),
  lastSignInAt: z.number().nullish(),
  createdAt: z.number().optional(),
  updatedAt: z.number().optional(),
});

const base = z.looseObject({
  event: z.string({ error: 'event must be a string' }).min(1, 'event must not be empty'),
  // Logto writes toISOString(); an offset is tolerated in case a proxy or a fork rewrites it.
  createdAt: z.iso.datetime({ offset: true, error: 'createdAt must be an ISO 8601 date-time' }),
  hookId: optionalString,
  userAgent: optionalString,
  ip: optionalString,
  userIp: optionalString,
});

const interactionMetadata = {
  interactionEvent: optionalString,
  sessionId: optionalString,
  applicationId: optionalString,
  application: application.optional(),
};

const interaction = base.extend({
  ...interactionMetadata,
  userId: optionalString,
  user: logtoUserSchema.optional(),
  cimdClientId: z.string().nullish(),
});

const data = base.extend({
  ...interactionMetadata,
  path: optionalString,
  method: optionalString,
  status: z.number().int().optional(),
  params: z.record(z.string(), z.string()).optional(),
  matchedRoute: optionalString,
  data: z.union([z.looseObject({}), z.array(z.unknown())]).nullish(),
});

const ids = z.array(z.string()).optional();

/** Per-event additions to the family schemas (4.3–4.5). */
const EXTRAS: Partial<Record<LogtoEventName, z.ZodType>> = {
  'logto.PostSignInAdaptiveMfaTriggered': interaction.extend({
    adaptiveMfaResult: z.looseObject({ requiresMfa: z.boolean(), triggeredRules: z.array(z.looseObject({ rule: z.string() })) }).optional(),
  }),
  'logto.Role.Scopes.Updated': data.extend({ roleId: optionalString }),
  'logto.OrganizationRole.Scopes.Updated': data.extend({ organizationRoleId: optionalString }),
  'logto.Organization.Membership.Updated': data.extend({
    organizationId: optionalString,
    addedUserIds: ids,
    removedUserIds: ids,
    addedApplicationIds: ids,
    removedApplicationIds: ids,
  }),
  'logto.Identifier.Lockout': data.extend({ type: optionalString, value: optionalString }),
  'logto.Message.RateLimited': data.extend({ action: optionalString, recipient: optionalString }),
  'logto.Grant.LimitExceeded': data.extend({
    userId: optionalString,
    cimdClientId: z.string().nullish(),
    revokedGrantIds: ids,
    maxAllowedGrants: z.number().optional(),
    preRevocationActiveGrantCount: z.number().optional(),
  }),
};

const FAMILY_SCHEMAS = { interaction, data, exception: data } as const;

/** The schema a payload of the given event must satisfy; unknown events only need the envelope. */
export function logtoPayloadSchema(name: LogtoEventName): z.ZodType {
  if (name === 'logto.unknown') return base;
  return EXTRAS[name] ?? FAMILY_SCHEMAS[LOGTO_EVENT_TYPES[name]];
}
