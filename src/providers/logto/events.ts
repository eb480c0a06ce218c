import type { EventUnion } from '../../events/envelope.js';

/**
 * Logto's webhook events (`hookEvents` in @logto/schemas 1.43.0; test/cli/logto-samples.test.ts
 * fails when the two lists differ), as data: our name → the family that decides the payload's
 * shape (4.3–4.5). Our name is `logto.` + Logto's own, so `sourceType` and the name never disagree.
 */
export const LOGTO_EVENT_TYPES = {
  'logto.PostRegister': 'interaction',
  'logto.PostSignIn': 'interaction',
  'logto.PostSignInAdaptiveMfaTriggered': 'interaction',
  'logto.PostResetPassword': 'interaction',
  'logto.User.Created': 'data',
  'logto.User.Deleted': 'data',
  'logto.User.Data.Updated': 'data',
  'logto.User.SuspensionStatus.Updated': 'data',
  // `devFeatureHookEvents` in 1.43.0: registrable only where Logto's dev features are on.
  'logto.TrustedDevice.Created': 'data',
  'logto.TrustedDevice.Deleted': 'data',
  'logto.Role.Created': 'data',
  'logto.Role.Deleted': 'data',
  'logto.Role.Data.Updated': 'data',
  'logto.Role.Scopes.Updated': 'data',
  'logto.Scope.Created': 'data',
  'logto.Scope.Deleted': 'data',
  'logto.Scope.Data.Updated': 'data',
  'logto.Organization.Created': 'data',
  'logto.Organization.Deleted': 'data',
  'logto.Organization.Data.Updated': 'data',
  'logto.Organization.Membership.Updated': 'data',
  'logto.OrganizationRole.Created': 'data',
  'logto.OrganizationRole.Deleted': 'data',
  'logto.OrganizationRole.Data.Updated': 'data',
  'logto.OrganizationRole.Scopes.Updated': 'data',
  'logto.OrganizationScope.Created': 'data',
  'logto.OrganizationScope.Deleted': 'data',
  'logto.OrganizationScope.Data.Updated': 'data',
  'logto.Identifier.Lockout': 'exception',
  'logto.Message.RateLimited': 'exception',
  'logto.Grant.LimitExceeded': 'exception',
} as const satisfies Record<string, 'interaction' | 'data' | 'exception'>;

export type LogtoKnownEventName = keyof typeof LOGTO_EVENT_TYPES;
export type LogtoEventName = LogtoKnownEventName | 'logto.unknown';
export type LogtoEventFamily = (typeof LOGTO_EVENT_TYPES)[LogtoKnownEventName];

/** Our name for Logto's `event` string; `logto.unknown` for one this receiver does not know. */
export function logtoEventName(event: string): LogtoEventName {
  const name = `logto.${event}`;
  return Object.hasOwn(LOGTO_EVENT_TYPES, name) ? (name as LogtoKnownEventName) : 'logto.unknown';
}

/** Fields of every Logto payload (4.2). Logto's own payload types allow extra keys, and so do we. */
export interface LogtoPayloadBase {
  /** Logto's name, e.g. `User.Created`. */
  event: string;
  /** ISO 8601: when Logto built the payload at dispatch, not when the change happened. */
  createdAt: string;
  /** The webhook that delivered this; real deliveries always carry it. */
  hookId?: string;
  /** The caller's user agent (end user, admin browser or M2M client). */
  userAgent?: string;
  /** Data and exception events. */
  ip?: string;
  /** Interaction events. */
  userIp?: string;
  [field: string]: unknown;
}

export type LogtoInteractionEvent = 'SignIn' | 'Register' | 'ForgotPassword';

export interface LogtoApplication {
  id: string;
  /** 'Native' | 'SPA' | 'Traditional' | 'MachineToMachine' | 'Protected' | 'SAML' */
  type?: string;
  name?: string;
  description?: string | null;
  [field: string]: unknown;
}

/** `pick(user, ...userInfoSelectFields)` (4.2). Timestamps are epoch milliseconds. */
export interface LogtoUser {
  id: string;
  username?: string | null;
  primaryEmail?: string | null;
  primaryPhone?: string | null;
  name?: string | null;
  avatar?: string | null;
  customData?: Record<string, unknown>;
  /** `details` is the connector's raw user info: schemaless, and personal data. */
  identities?: Record<string, { userId: string; details?: Record<string, unknown> }>;
  profile?: Record<string, unknown>;
  applicationId?: string | null;
  isSuspended?: boolean;
  lastSignInAt?: number | null;
  createdAt?: number;
  updatedAt?: number;
  /** Set for a user who registered through a CIMD client (since Logto 1.43). */
  cimdClientId?: string | null;
  /** Management API responses only. */
  hasPassword?: boolean;
  [field: string]: unknown;
}

/** What the console's "Send test payload" puts in `data` of every non-interaction event (5). */
export interface LogtoTestResult {
  result: string;
}

/** Interaction events (4.3): a sign-in experience was submitted. */
export interface LogtoInteractionPayload extends LogtoPayloadBase {
  interactionEvent?: LogtoInteractionEvent;
  /** The interaction's jti. */
  sessionId?: string;
  userId?: string;
  /** Re-read from the database at dispatch. */
  user?: LogtoUser;
  /** Absent when the application lookup failed (e.g. it was deleted). */
  application?: LogtoApplication;
  cimdClientId?: string | null;
}

/** A rule that asked for MFA, with Logto's details for the four rules it has. */
export type LogtoAdaptiveMfaRule =
  | {
      rule: 'new_country';
      /** `recentCountries`: where the user signed in within the last `windowDays` days. */
      details: { currentCountry: string; windowDays: number; recentCountries?: { country: string; lastSignInAt: number }[] };
    }
  | {
      rule: 'geo_velocity';
      details: {
        previous: { country?: { country: string; lastSignInAt: number }; city?: string; at?: string };
        current: { country?: string; city?: string; at?: string };
        distanceKm: number;
        durationHours: number;
        speedKmh: number;
        thresholdKmh: number;
      };
    }
  | { rule: 'long_inactivity'; details: { lastSignInAt?: string; inactivityDays: number; thresholdDays: number } }
  | { rule: 'untrusted_ip'; details: { signals: { botScore?: number; botVerified?: boolean }; matchedSignals: string[] } };

export interface LogtoAdaptiveMfaResult {
  requiresMfa: boolean;
  triggeredRules: LogtoAdaptiveMfaRule[];
  [field: string]: unknown;
}

/**
 * Data and exception events (4.4, 4.5). The route context (`path` ... `matchedRoute`) is present
 * for Management API calls; the interaction metadata for Experience API calls.
 */
export interface LogtoDataPayload<Data> extends LogtoPayloadBase {
  /** Without the `/api` prefix, e.g. `/users/u1/custom-data`. */
  path?: string;
  method?: string;
  /** The API response's status. */
  status?: number;
  params?: Record<string, string>;
  /** The route template, e.g. `/users/:userId/custom-data`. */
  matchedRoute?: string;
  interactionEvent?: LogtoInteractionEvent;
  sessionId?: string;
  applicationId?: string;
  application?: LogtoApplication;
  /**
   * For Management API events, the API's response body. Absent on 204 routes, and
   * `{ "result": "success" }` in console test payloads, hence every field is optional.
   */
  data?: Data | null;
}

/**
 * The user, except on `PATCH /users/:userId/custom-data` and `/profile`, where Logto sends only
 * the new customData or profile object (4.4). `logtoUserOf()` tells them apart.
 */
export type LogtoUserData = Partial<LogtoUser>;

/** Management API entities are database rows: each names its tenant (`default` when self-hosted). */
export interface LogtoRole {
  tenantId?: string;
  id?: string;
  name?: string;
  description?: string;
  type?: 'User' | 'MachineToMachine';
  isDefault?: boolean;
  [field: string]: unknown;
}

export interface LogtoScope {
  tenantId?: string;
  id?: string;
  resourceId?: string;
  name?: string;
  description?: string | null;
  createdAt?: number;
  [field: string]: unknown;
}

export interface LogtoOrganization {
  tenantId?: string;
  id?: string;
  name?: string;
  description?: string | null;
  customData?: Record<string, unknown>;
  isMfaRequired?: boolean;
  isTrustedDeviceAllowed?: boolean;
  createdAt?: number;
  [field: string]: unknown;
}

export interface LogtoOrganizationRole {
  tenantId?: string;
  id?: string;
  name?: string;
  description?: string | null;
  type?: 'User' | 'MachineToMachine';
  [field: string]: unknown;
}

export interface LogtoOrganizationScope {
  tenantId?: string;
  id?: string;
  name?: string;
  description?: string | null;
  [field: string]: unknown;
}

/** All Logto sends of a trusted device; its payloads never carry the request's `ip`. */
export interface LogtoTrustedDevice {
  id?: string;
  userId?: string;
  /** Epoch milliseconds. */
  expiresAt?: number;
  [field: string]: unknown;
}

/** Never carries `data`; the deltas exist since v1.40.0, are capped at 5000 and omitted when empty. */
export interface LogtoMembershipPayload extends LogtoDataPayload<LogtoTestResult> {
  /** Always present in real deliveries; absent in console test payloads. */
  organizationId?: string;
  addedUserIds?: string[];
  removedUserIds?: string[];
  addedApplicationIds?: string[];
  removedApplicationIds?: string[];
}

export interface LogtoIdentifierLockoutPayload extends LogtoDataPayload<LogtoTestResult> {
  /** 'username' | 'email' | 'phone' | 'userId' */
  type?: string;
  /** The blocked identifier, e.g. the email address. */
  value?: string;
}

export interface LogtoMessageRateLimitedPayload extends LogtoDataPayload<LogtoTestResult> {
  /** `VerificationCodeSend` */
  action?: string;
  /** The email address or phone number. */
  recipient?: string;
}

/**
 * A registered application is named by `applicationId` and `application`; a CIMD client would be
 * named by `cimdClientId` alone (Logto sets no grant limit for those yet).
 */
export interface LogtoGrantLimitExceededPayload extends LogtoDataPayload<LogtoTestResult> {
  userId?: string;
  cimdClientId?: string | null;
  revokedGrantIds?: string[];
  maxAllowedGrants?: number;
  preRevocationActiveGrantCount?: number;
}

/** Each Logto event's `data` as handlers see it: the whole payload, unknown fields kept. */
export interface LogtoEventDataMap {
  'logto.PostRegister': LogtoInteractionPayload;
  'logto.PostSignIn': LogtoInteractionPayload;
  'logto.PostSignInAdaptiveMfaTriggered': LogtoInteractionPayload & { adaptiveMfaResult?: LogtoAdaptiveMfaResult };
  'logto.PostResetPassword': LogtoInteractionPayload;
  'logto.User.Created': LogtoDataPayload<LogtoUserData>;
  /** `data` is the user as it was before deletion (since v1.18.0). */
  'logto.User.Deleted': LogtoDataPayload<LogtoUserData>;
  'logto.User.Data.Updated': LogtoDataPayload<LogtoUserData>;
  /** Check `data.isSuspended`: the event fires for suspension and for lifting it. */
  'logto.User.SuspensionStatus.Updated': LogtoDataPayload<LogtoUserData>;
  'logto.TrustedDevice.Created': LogtoDataPayload<LogtoTrustedDevice>;
  'logto.TrustedDevice.Deleted': LogtoDataPayload<LogtoTrustedDevice>;
  'logto.Role.Created': LogtoDataPayload<LogtoRole>;
  'logto.Role.Deleted': LogtoDataPayload<LogtoRole>;
  'logto.Role.Data.Updated': LogtoDataPayload<LogtoRole>;
  /**
   * `data` is every scope of the role after `POST /roles/:id/scopes` (status 201); absent after a
   * removal (see `params`). `roleId` is set only when the scopes came with `POST /roles`.
   */
  'logto.Role.Scopes.Updated': LogtoDataPayload<LogtoScope[] | LogtoTestResult> & { roleId?: string };
  'logto.Scope.Created': LogtoDataPayload<LogtoScope>;
  'logto.Scope.Deleted': LogtoDataPayload<LogtoScope>;
  'logto.Scope.Data.Updated': LogtoDataPayload<LogtoScope>;
  'logto.Organization.Created': LogtoDataPayload<LogtoOrganization>;
  'logto.Organization.Deleted': LogtoDataPayload<LogtoOrganization>;
  'logto.Organization.Data.Updated': LogtoDataPayload<LogtoOrganization>;
  'logto.Organization.Membership.Updated': LogtoMembershipPayload;
  'logto.OrganizationRole.Created': LogtoDataPayload<LogtoOrganizationRole>;
  'logto.OrganizationRole.Deleted': LogtoDataPayload<LogtoOrganizationRole>;
  'logto.OrganizationRole.Data.Updated': LogtoDataPayload<LogtoOrganizationRole>;
  'logto.OrganizationRole.Scopes.Updated': LogtoDataPayload<LogtoTestResult> & { organizationRoleId?: string };
  'logto.OrganizationScope.Created': LogtoDataPayload<LogtoOrganizationScope>;
  'logto.OrganizationScope.Deleted': LogtoDataPayload<LogtoOrganizationScope>;
  'logto.OrganizationScope.Data.Updated': LogtoDataPayload<LogtoOrganizationScope>;
  'logto.Identifier.Lockout': LogtoIdentifierLockoutPayload;
  'logto.Message.RateLimited': LogtoMessageRateLimitedPayload;
  'logto.Grant.LimitExceeded': LogtoGrantLimitExceededPayload;
  /** An event this receiver does not know; `sourceType` holds Logto's name. */
  'logto.unknown': LogtoPayloadBase;
}

export type LogtoEvent<N extends LogtoEventName = LogtoEventName> = EventUnion<LogtoEventDataMap, N>;
