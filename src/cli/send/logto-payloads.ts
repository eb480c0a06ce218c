import { randomBytes } from 'node:crypto';
import type { LogtoEventName, LogtoInteractionEvent } from '../../providers/logto/events.js';

/**
 * A payload shaped like the one Logto 1.43 sends for every event: interaction events with the
 * user and application; Management API events with the route, the status Logto's route answers
 * and its response body as `data`; Experience API events with the interaction's metadata;
 * exception events with their own fields. The fixed ids name development objects, never a real
 * one. A mapped type over every name: a new Logto event does not compile until it has a sample.
 * test/cli/logto-samples.test.ts checks them against @logto/schemas.
 */
type Payload = Record<string, unknown>;
type Sample = (user: string, now: Date) => Payload;

const HOOK_ID = 'devhook0000000000001';
const APPLICATION = { id: 'devapp0000001', type: 'Traditional', name: 'Development app', description: null };
// Management API responses are database rows, and every row names its tenant (`default` when
// self-hosted). A created scope's time is fixed: samples stay byte-identical for a given `now`.
const TENANT_ID = 'default';
const ROLE = { tenantId: TENANT_ID, id: 'devrole000001', name: 'dev-role', description: 'A role for test events', type: 'User', isDefault: false };
const SCOPE = {
  tenantId: TENANT_ID,
  id: 'devscope00001',
  resourceId: 'devresource01',
  name: 'read:dev',
  description: 'A scope for test events',
  createdAt: 1_767_225_600_000,
};
const ORGANIZATION = {
  tenantId: TENANT_ID,
  id: 'devorg0000001',
  name: 'Development organization',
  description: null,
  customData: {},
  isMfaRequired: false,
  isTrustedDeviceAllowed: true,
  color: {},
  branding: {},
  customCss: null,
  createdAt: 1_767_225_600_000,
};
const ORGANIZATION_ROLE = { tenantId: TENANT_ID, id: 'devorgrole001', name: 'dev-member', description: null, type: 'User' };
const ORGANIZATION_SCOPE = { tenantId: TENANT_ID, id: 'devorgscope01', name: 'read:dev-org', description: null };
const TRUSTED_DEVICE_ID = 'devdevice0001';
const DAY_MS = 24 * 3600 * 1000;

/** `pick(user, ...userInfoSelectFields)`, as Logto puts the user in payloads. */
function logtoUser(user: string, now: Date): Payload {
  const at = now.getTime();
  return {
    id: user,
    username: null,
    primaryEmail: `${user}@example.com`,
    primaryPhone: null,
    name: 'Dev User',
    avatar: null,
    customData: {},
    identities: {},
    lastSignInAt: at,
    createdAt: at,
    // Orders profile updates in the account state: the newest update wins.
    updatedAt: at,
    profile: {},
    applicationId: APPLICATION.id,
    // Set only for users who registered through a CIMD client.
    cimdClientId: null,
    isSuspended: false,
  };
}

/** What the Management API answers about a user: the user info and whether a password is set. */
const userResponse = (user: string, now: Date): Payload => ({ ...logtoUser(user, now), hasPassword: false });

/**
 * What an event raised inside a sign-in (the Experience API) carries instead of a route: the
 * interaction and its application. `ip` is left to the caller: TrustedDevice events omit it.
 */
const experienceMetadata = (interactionEvent: LogtoInteractionEvent): Payload => ({
  interactionEvent,
  applicationId: APPLICATION.id,
  sessionId: randomBytes(10).toString('hex'),
  application: APPLICATION,
});

const interaction =
  (interactionEvent: LogtoInteractionEvent, extra: Payload = {}): Sample =>
  (user, now) => ({
    interactionEvent,
    sessionId: randomBytes(10).toString('hex'),
    userIp: '127.0.0.1',
    userId: user,
    user: logtoUser(user, now),
    application: APPLICATION,
    ...extra,
  });

/**
 * A Management API call: `route` with `:name` parameters, filled in from `params`, and `status`,
 * the one Logto's route answers. The request's `ip` is sent unless `ip: false` (TrustedDevice).
 */
const managementApi =
  (method: string, route: string, params: Record<string, string>, status: number, data: Payload | Payload[] | undefined, extra: Payload = {}, ip = true) => ({
    ...(ip ? { ip: '127.0.0.1' } : {}),
    path: route.replace(/:(\w+)/g, (_match, name: string) => params[name] ?? name),
    method,
    status,
    params,
    matchedRoute: route,
    ...(data === undefined ? {} : { data }),
    ...extra,
  });

const userEvent = (method: string, route: string, status: number, change: Payload = {}): Sample => (id, now) =>
  managementApi(method, route, route.includes(':userId') ? { userId: id } : {}, status, { ...userResponse(id, now), ...change });

/** Logto sends a trusted device as these three fields only, and never the request's IP. */
const trustedDevice = (user: string, expiresAt: number): Payload => ({ id: TRUSTED_DEVICE_ID, userId: user, expiresAt });

const SAMPLES: { [N in LogtoEventName]: Sample } = {
  'logto.PostRegister': interaction('Register'),
  'logto.PostSignIn': interaction('SignIn'),
  'logto.PostSignInAdaptiveMfaTriggered': (user, now) =>
    interaction('SignIn', {
      adaptiveMfaResult: {
        requiresMfa: true,
        // Signed in from KR; the last 180 days (Logto's window) saw only JP.
        triggeredRules: [
          { rule: 'new_country', details: { currentCountry: 'KR', windowDays: 180, recentCountries: [{ country: 'JP', lastSignInAt: now.getTime() - DAY_MS }] } },
        ],
      },
    })(user, now),
  'logto.PostResetPassword': interaction('ForgotPassword'),
  'logto.User.Created': userEvent('POST', '/users', 200),
  // The user info as it was before deletion (since Logto 1.18), without hasPassword; the API answers 204.
  'logto.User.Deleted': (id, now) => managementApi('DELETE', '/users/:userId', { userId: id }, 204, logtoUser(id, now)),
  'logto.User.Data.Updated': userEvent('PATCH', '/users/:userId', 200, { name: 'Dev User (renamed)' }),
  'logto.User.SuspensionStatus.Updated': userEvent('PATCH', '/users/:userId/is-suspended', 200, { isSuspended: true }),
  // Remembered at the end of an MFA sign-in, for 30 days.
  'logto.TrustedDevice.Created': (id, now) => ({ ...experienceMetadata('SignIn'), data: trustedDevice(id, now.getTime() + 30 * DAY_MS) }),
  // Revoked by an administrator; the API answers 204.
  'logto.TrustedDevice.Deleted': (id, now) =>
    managementApi(
      'DELETE',
      '/users/:userId/trusted-devices/:trustedDeviceId',
      { userId: id, trustedDeviceId: TRUSTED_DEVICE_ID },
      204,
      trustedDevice(id, now.getTime() + 29 * DAY_MS),
      {},
      false,
    ),
  'logto.Role.Created': () => managementApi('POST', '/roles', {}, 200, ROLE),
  'logto.Role.Deleted': () => managementApi('DELETE', '/roles/:id', { id: ROLE.id }, 204, undefined),
  'logto.Role.Data.Updated': () => managementApi('PATCH', '/roles/:id', { id: ROLE.id }, 200, ROLE),
  // Every scope of the role after the addition. (Creating a role with scopeIds sends this event
  // from POST /roles instead, with status 200 and `roleId`.)
  'logto.Role.Scopes.Updated': () => managementApi('POST', '/roles/:id/scopes', { id: ROLE.id }, 201, [SCOPE]),
  'logto.Scope.Created': () => managementApi('POST', '/resources/:resourceId/scopes', { resourceId: SCOPE.resourceId }, 201, SCOPE),
  'logto.Scope.Deleted': () =>
    managementApi('DELETE', '/resources/:resourceId/scopes/:scopeId', { resourceId: SCOPE.resourceId, scopeId: SCOPE.id }, 204, undefined),
  'logto.Scope.Data.Updated': () =>
    managementApi('PATCH', '/resources/:resourceId/scopes/:scopeId', { resourceId: SCOPE.resourceId, scopeId: SCOPE.id }, 200, SCOPE),
  'logto.Organization.Created': () => managementApi('POST', '/organizations', {}, 201, ORGANIZATION),
  'logto.Organization.Deleted': () => managementApi('DELETE', '/organizations/:id', { id: ORGANIZATION.id }, 204, undefined),
  'logto.Organization.Data.Updated': () => managementApi('PATCH', '/organizations/:id', { id: ORGANIZATION.id }, 200, ORGANIZATION),
  // Never carries `data`; the user is one of the added members.
  'logto.Organization.Membership.Updated': (id) =>
    managementApi('POST', '/organizations/:id/users', { id: ORGANIZATION.id }, 201, undefined, { organizationId: ORGANIZATION.id, addedUserIds: [id] }),
  'logto.OrganizationRole.Created': () => managementApi('POST', '/organization-roles', {}, 201, ORGANIZATION_ROLE),
  'logto.OrganizationRole.Deleted': () => managementApi('DELETE', '/organization-roles/:id', { id: ORGANIZATION_ROLE.id }, 204, undefined),
  'logto.OrganizationRole.Data.Updated': () => managementApi('PATCH', '/organization-roles/:id', { id: ORGANIZATION_ROLE.id }, 200, ORGANIZATION_ROLE),
  // The relation route answers 201 with no body. (Creating a role with scope ids sends this event
  // from POST /organization-roles instead, with `organizationRoleId`.)
  'logto.OrganizationRole.Scopes.Updated': () => managementApi('POST', '/organization-roles/:id/scopes', { id: ORGANIZATION_ROLE.id }, 201, undefined),
  'logto.OrganizationScope.Created': () => managementApi('POST', '/organization-scopes', {}, 201, ORGANIZATION_SCOPE),
  'logto.OrganizationScope.Deleted': () => managementApi('DELETE', '/organization-scopes/:id', { id: ORGANIZATION_SCOPE.id }, 204, undefined),
  'logto.OrganizationScope.Data.Updated': () =>
    managementApi('PATCH', '/organization-scopes/:id', { id: ORGANIZATION_SCOPE.id }, 200, ORGANIZATION_SCOPE),
  // Raised inside a sign-in. The user's sign-ins are locked: named by user id here, so the event
  // names its user.
  'logto.Identifier.Lockout': (id) => ({ ...experienceMetadata('SignIn'), ip: '127.0.0.1', type: 'userId', value: id }),
  'logto.Message.RateLimited': (id) => ({
    ...experienceMetadata('SignIn'),
    ip: '127.0.0.1',
    action: 'VerificationCodeSend',
    recipient: `${id}@example.com`,
  }),
  // Raised after an OIDC authorization of a registered application (a CIMD client would carry
  // `cimdClientId` instead of `applicationId` and `application`).
  'logto.Grant.LimitExceeded': (id) => ({
    ip: '127.0.0.1',
    application: APPLICATION,
    userId: id,
    applicationId: APPLICATION.id,
    revokedGrantIds: ['devgrant00001'],
    maxAllowedGrants: 5,
    preRevocationActiveGrantCount: 6,
  }),
  'logto.unknown': () => ({ ip: '127.0.0.1' }),
};

/** Logto's own event name: ours without the `logto.` prefix; a name no receiver knows for `logto.unknown`. */
export function logtoSourceName(name: LogtoEventName): string {
  return name === 'logto.unknown' ? 'Dev.UnknownTestEvent' : name.slice('logto.'.length);
}

/** The payload of `name` about `user`, its keys in the order Logto builds them (event first). */
export function logtoPayload(name: LogtoEventName, user: string, now: Date, userAgent: string): Payload {
  return { event: logtoSourceName(name), createdAt: now.toISOString(), userAgent, ...SAMPLES[name](user, now), hookId: HOOK_ID };
}
