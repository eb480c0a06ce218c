import { randomBytes } from 'node:crypto';
import type { LogtoEventName, LogtoInteractionEvent } from '../../providers/logto/events.js';

/**
 * A payload shaped like Logto's for every event (Logto's webhook payload docs: interaction events
 * with the user and application, Management API events with the route and the response as `data`,
 * exception events with their own fields). The fixed ids name development objects, never a real
 * one. A mapped type over every name: a new Logto event does not compile until it has a sample.
 */
type Payload = Record<string, unknown>;
type Sample = (user: string, now: Date) => Payload;

const HOOK_ID = 'devhook0000000000001';
const APPLICATION = { id: 'devapp0000001', type: 'Traditional', name: 'Development app', description: null };
const ROLE = { id: 'devrole000001', name: 'dev-role', description: 'A role for test events', type: 'User', isDefault: false };
const SCOPE = { id: 'devscope00001', resourceId: 'devresource01', name: 'read:dev', description: 'A scope for test events' };
const ORGANIZATION = { id: 'devorg0000001', name: 'Development organization', description: null, customData: {}, isMfaRequired: false };
const ORGANIZATION_ROLE = { id: 'devorgrole001', name: 'dev-member', description: null, type: 'User' };
const ORGANIZATION_SCOPE = { id: 'devorgscope01', name: 'read:dev-org', description: null };

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
    isSuspended: false,
  };
}

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

/** A Management API call: `route` with `:name` parameters, filled in from `params`. */
const managementApi =
  (method: string, route: string, params: Record<string, string>, status: number, data: Payload | Payload[] | undefined, extra: Payload = {}) => ({
    ip: '127.0.0.1',
    path: route.replace(/:(\w+)/g, (_match, name: string) => params[name] ?? name),
    method,
    status,
    params,
    matchedRoute: route,
    ...(data === undefined ? {} : { data }),
    ...extra,
  });

const userEvent = (method: string, route: string, status: number, change: Payload = {}): Sample => (id, now) =>
  managementApi(method, route, route.includes(':userId') ? { userId: id } : {}, status, { ...logtoUser(id, now), ...change });

const SAMPLES: { [N in LogtoEventName]: Sample } = {
  'logto.PostRegister': interaction('Register'),
  'logto.PostSignIn': interaction('SignIn'),
  'logto.PostSignInAdaptiveMfaTriggered': interaction('SignIn', {
    adaptiveMfaResult: { requiresMfa: true, triggeredRules: [{ rule: 'new_country', details: { country: 'KR' } }] },
  }),
  'logto.PostResetPassword': interaction('ForgotPassword'),
  'logto.User.Created': userEvent('POST', '/users', 200),
  // The user as it was before deletion (since Logto 1.18); the API answers 204.
  'logto.User.Deleted': userEvent('DELETE', '/users/:userId', 204),
  'logto.User.Data.Updated': userEvent('PATCH', '/users/:userId', 200, { name: 'Dev User (renamed)' }),
  'logto.User.SuspensionStatus.Updated': userEvent('PATCH', '/users/:userId/is-suspended', 200, { isSuspended: true }),
  'logto.TrustedDevice.Created': (id, now) => ({
    ip: '127.0.0.1',
    data: { id: 'devdevice0001', userId: id, expiresAt: now.getTime() + 30 * 24 * 3600 * 1000 },
  }),
  'logto.TrustedDevice.Deleted': (id, now) => ({ ip: '127.0.0.1', data: { id: 'devdevice0001', userId: id, expiresAt: now.getTime() } }),
  'logto.Role.Created': () => managementApi('POST', '/roles', {}, 200, ROLE),
  'logto.Role.Deleted': () => managementApi('DELETE', '/roles/:id', { id: ROLE.id }, 204, undefined),
  'logto.Role.Data.Updated': () => managementApi('PATCH', '/roles/:id', { id: ROLE.id }, 200, ROLE),
  'logto.Role.Scopes.Updated': () => managementApi('POST', '/roles/:id/scopes', { id: ROLE.id }, 200, [SCOPE], { roleId: ROLE.id }),
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
  'logto.OrganizationRole.Scopes.Updated': () =>
    managementApi('POST', '/organization-roles/:id/scopes', { id: ORGANIZATION_ROLE.id }, 201, undefined, { organizationRoleId: ORGANIZATION_ROLE.id }),
  'logto.OrganizationScope.Created': () => managementApi('POST', '/organization-scopes', {}, 201, ORGANIZATION_SCOPE),
  'logto.OrganizationScope.Deleted': () => managementApi('DELETE', '/organization-scopes/:id', { id: ORGANIZATION_SCOPE.id }, 204, undefined),
  'logto.OrganizationScope.Data.Updated': () =>
    managementApi('PATCH', '/organization-scopes/:id', { id: ORGANIZATION_SCOPE.id }, 200, ORGANIZATION_SCOPE),
  // The user's sign-ins are locked: named by user id here, so the event names its user.
  'logto.Identifier.Lockout': (id) => ({ ip: '127.0.0.1', interactionEvent: 'SignIn', type: 'userId', value: id }),
  'logto.Message.RateLimited': (id) => ({ ip: '127.0.0.1', action: 'VerificationCodeSend', recipient: `${id}@example.com` }),
  'logto.Grant.LimitExceeded': (id) => ({
    ip: '127.0.0.1',
    userId: id,
    cimdClientId: null,
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
