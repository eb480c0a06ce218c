import type { EventName, EventOf } from '../events/catalog.js';
import { logtoUserOf } from '../providers/logto/user-of.js';
import { fieldsOfScopes, scopesOf } from './kakao-scopes.js';
import type { AccountStatus, AccountUpdate } from './model.js';

/**
 * THE event -> action table: what every typed event does to the account state. It is typed as a
 * record over every event name, so a new event type does not compile until it has a row here.
 * README.md ("Account state") shows the same table.
 *
 * - `revoke`: sessions issued before the event end (RFC 8417: act on sessions established
 *   before the event time, not on ones opened afterwards);
 * - `status`: the status it sets, or `payload` when the payload decides (unlink reason,
 *   Logto suspension flag);
 * - `profile`, `consent`, `channel`: the part of the state it updates;
 * - `purge`: deletes profile, consent and channel data, keeping a tombstone;
 * - `record`: only recorded as the account's last event. `user-linked`, `user-scope-consent`
 *   and `token-issued` are never treated as a withdrawal;
 * - `none`: not about one account (stream management, roles, organizations, shares).
 */
type Effect = 'revoke' | 'status' | 'profile' | 'consent' | 'channel' | 'purge' | 'record' | 'none';
export interface ActionRow {
  effects: readonly Effect[];
  status?: AccountStatus | 'payload';
}

const NONE: ActionRow = { effects: ['none'] };
const RECORD: ActionRow = { effects: ['record'] };
const REVOKE: ActionRow = { effects: ['revoke'] };

export const EVENT_ACTIONS = {
  // Kakao account status change (SETs).
  'kakao.user-linked': { effects: ['status'], status: 'active' }, // a link after an unlink reopens the account
  'kakao.user-unlinked': { effects: ['revoke', 'status'], status: 'payload' }, // ACCOUNT_DELETE / FORCED_ACCOUNT_DELETE purge
  'kakao.user-scope-consent': { effects: ['consent'] }, // records the grant; never a withdrawal
  'kakao.user-scope-withdraw': { effects: ['consent'] }, // also deletes the fields tied to the scopes
  'kakao.tokens-revoked': REVOKE,
  'kakao.token-issued': RECORD,
  'kakao.token-revoked': RECORD, // one token, which the application revokes itself; not every session
  'kakao.account-disabled': { effects: ['revoke', 'status'], status: 'disabled' },
  'kakao.account-enabled': { effects: ['status'], status: 'active' },
  'kakao.account-purged': { effects: ['revoke', 'status', 'purge'], status: 'deleted' },
  'kakao.account-credential-change-required': REVOKE,
  'kakao.credential-compromise': REVOKE,
  'kakao.identifier-changed': REVOKE,
  'kakao.identifier-recycled': REVOKE,
  'kakao.sessions-revoked': REVOKE,
  'kakao.credential-change': REVOKE,
  'kakao.assurance-level-change': RECORD,
  'kakao.session-revoked': REVOKE,
  'kakao.user-profile-changed': { effects: ['profile'] },
  'kakao.ssf-verification': NONE,
  'kakao.ssf-stream-updated': NONE,
  'kakao.unknown': NONE,
  // Kakao admin-key webhooks.
  'kakao.unlinked': { effects: ['revoke', 'status'], status: 'payload' }, // same meaning as user-unlinked
  'kakao.talk-channel.added': { effects: ['channel'] },
  'kakao.talk-channel.blocked': { effects: ['channel'] },
  'kakao.talk-share.sent': NONE,
  // Logto.
  'logto.PostRegister': RECORD,
  'logto.PostSignIn': RECORD,
  'logto.PostSignInAdaptiveMfaTriggered': RECORD,
  'logto.PostResetPassword': REVOKE, // a reset is how a user takes an account back
  'logto.User.Created': { effects: ['status', 'profile'], status: 'active' },
  'logto.User.Deleted': { effects: ['revoke', 'status', 'purge'], status: 'deleted' },
  'logto.User.Data.Updated': { effects: ['profile'] },
  'logto.User.SuspensionStatus.Updated': { effects: ['revoke', 'status'], status: 'payload' }, // revokes only on suspension
  'logto.TrustedDevice.Created': RECORD,
  'logto.TrustedDevice.Deleted': RECORD,
  'logto.Role.Created': NONE,
  'logto.Role.Deleted': NONE,
  'logto.Role.Data.Updated': NONE,
  'logto.Role.Scopes.Updated': NONE,
  'logto.Scope.Created': NONE,
  'logto.Scope.Deleted': NONE,
  'logto.Scope.Data.Updated': NONE,
  'logto.Organization.Created': NONE,
  'logto.Organization.Deleted': NONE,
  'logto.Organization.Data.Updated': NONE,
  'logto.Organization.Membership.Updated': NONE,
  'logto.OrganizationRole.Created': NONE,
  'logto.OrganizationRole.Deleted': NONE,
  'logto.OrganizationRole.Data.Updated': NONE,
  'logto.OrganizationRole.Scopes.Updated': NONE,
  'logto.OrganizationScope.Created': NONE,
  'logto.OrganizationScope.Deleted': NONE,
  'logto.OrganizationScope.Data.Updated': NONE,
  'logto.Identifier.Lockout': RECORD,
  'logto.Message.RateLimited': NONE, // names a recipient address, not an account
  'logto.Grant.LimitExceeded': RECORD,
  'logto.unknown': NONE,
} as const satisfies Record<EventName, ActionRow>;

/** Every event name the account-state handler acts on. */
export const ACCOUNT_EVENT_NAMES = (Object.keys(EVENT_ACTIONS) as EventName[]).filter(
  (name) => !(EVENT_ACTIONS[name] as ActionRow).effects.includes('none'),
);

/** Unlink reasons that mean the Kakao account itself was deleted. */
const DELETION_REASONS = new Set(['ACCOUNT_DELETE', 'FORCED_ACCOUNT_DELETE']);

/** SET claims that describe the event, not the profile. */
const NOT_PROFILE = new Set(['subject', 'event_timestamp', 'initiating_entity', 'reason_admin', 'reason_user']);
/** Containers Kakao's user API nests fields in; their fields are stored flat, by their own names. */
const NESTED = new Set(['kakao_account', 'profile', 'properties']);
/** The Logto user fields that describe the person; customData and identities stay out. */
const LOGTO_PROFILE_FIELDS = ['username', 'primaryEmail', 'primaryPhone', 'name', 'avatar'] as const;

export type Outcome = { update: AccountUpdate } | { skip: string };

/**
 * What an event does to its user's account, from the table and the payload; `skip` says why it
 * does nothing (no user, a test payload, an open id instead of an app user id, ...).
 */
export function accountUpdateOf(event: EventOf): Outcome {
  const row = EVENT_ACTIONS[event.type] as ActionRow;
  if (row.effects.includes('none')) return { skip: 'not about one account' };
  if (!event.subject) return { skip: 'the event names no user' };
  const update: AccountUpdate = {
    provider: event.provider,
    userId: event.subject.id,
    event: { id: event.id, type: event.type, at: Date.parse(event.occurredAt) },
  };
  if (row.effects.includes('revoke')) update.revokeSessions = true;
  if (row.effects.includes('purge')) update.purge = true;
  if (row.status && row.status !== 'payload') update.status = row.status;

  switch (event.type) {
    case 'kakao.user-unlinked':
    case 'kakao.unlinked': {
      const reason = event.type === 'kakao.unlinked' ? event.data.referrer_type : event.data.reason;
      const deleted = typeof reason === 'string' && DELETION_REASONS.has(reason);
      update.status = deleted ? 'deleted' : 'unlinked';
      if (deleted) update.purge = true;
      break;
    }
    case 'logto.User.SuspensionStatus.Updated': {
      const suspended = event.data.data?.isSuspended;
      if (typeof suspended !== 'boolean') return { skip: 'the payload does not say whether the user is suspended' };
      update.status = suspended ? 'disabled' : 'active';
      if (!suspended) delete update.revokeSessions;
      break;
    }
    case 'kakao.user-scope-consent':
    case 'kakao.user-scope-withdraw': {
      const scopes = scopesOf(event.data);
      if (scopes.length === 0) return { skip: 'the event lists no scope' };
      const withdrawn = event.type === 'kakao.user-scope-withdraw';
      update.consent = { state: withdrawn ? 'withdrawn' : 'granted', scopes };
      if (withdrawn) update.clearFields = fieldsOfScopes(scopes);
      break;
    }
    case 'kakao.talk-channel.added':
    case 'kakao.talk-channel.blocked':
      // An open id names the user across apps, not as this app's user: it is not the account's key.
      if (event.data.id_type !== 'app_user_id') return { skip: `the user is named by ${event.data.id_type}, not by app user id` };
      update.channel = { id: event.data.channel_public_id, relation: event.data.event };
      break;
    case 'kakao.user-profile-changed':
      update.profile = kakaoProfileFields(event.data);
      break;
    case 'logto.User.Created':
    case 'logto.User.Data.Updated': {
      const user = logtoUserOf(event.data);
      // e.g. PATCH /users/:id/custom-data, whose `data` is the customData alone.
      if (!user || user.id !== update.userId) {
        if (event.type === 'logto.User.Data.Updated') return { skip: 'the event carries no profile of this user' };
        break;
      }
      // A cleared field arrives as null and is stored as null.
      update.profile = Object.fromEntries(LOGTO_PROFILE_FIELDS.filter((key) => key in user).map((key) => [key, user[key] ?? null]));
      // Logto's createdAt is dispatch time and deliveries are unordered; the user's own updatedAt
      // orders two updates the way Logto's database saw them.
      if (typeof user.updatedAt === 'number' && Number.isFinite(user.updatedAt)) update.profileAt = user.updatedAt;
      break;
    }
    default:
      break;
  }
  return { update };
}

function kakaoProfileFields(data: Record<string, unknown>, into: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [key, value] of Object.entries(data)) {
    if (NOT_PROFILE.has(key)) continue;
    if (NESTED.has(key) && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      kakaoProfileFields(value as Record<string, unknown>, into);
    } else {
      into[key] = value;
    }
  }
  return into;
}
