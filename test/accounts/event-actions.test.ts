import { describe, expect, it } from 'vitest';
import { accountUpdateOf, ACCOUNT_EVENT_NAMES, EVENT_ACTIONS } from '../../src/accounts/event-actions.js';
import { fieldsOfScopes, scopesOf } from '../../src/accounts/kakao-scopes.js';
import { EVENT_NAMES, type EventOf } from '../../src/events/catalog.js';

const event = (type: string, data: Record<string, unknown> = {}, subject: string | null = '42') =>
  ({ id: `id-${type}`, provider: type.split('.')[0], type, sourceType: type, subject: subject === null ? null : { id: subject }, occurredAt: '2026-01-01T00:00:00.000Z', receivedAt: '2026-01-01T00:00:01.000Z', data }) as unknown as EventOf;
const updateOf = (type: string, data?: Record<string, unknown>) => {
  const outcome = accountUpdateOf(event(type, data));
  return 'update' in outcome ? outcome.update : undefined;
};

describe('the event -> action table', () => {
  it('has a row for every typed event name, and no other', () => {
    expect(new Set(Object.keys(EVENT_ACTIONS))).toEqual(new Set(EVENT_NAMES));
  });

  it('revokes sessions for the twelve events the old handler covered and the three identity events', () => {
    const revoking = [
      'kakao.user-unlinked', 'kakao.unlinked', 'kakao.tokens-revoked', 'kakao.account-disabled', 'kakao.account-purged',
      'kakao.credential-change', 'kakao.credential-compromise', 'kakao.sessions-revoked', 'kakao.session-revoked',
      'logto.User.Deleted', 'logto.PostResetPassword', 'kakao.account-credential-change-required', 'kakao.identifier-changed',
      'kakao.identifier-recycled',
    ];
    for (const type of revoking) expect(updateOf(type, { referrer_type: 'UNLINK_FROM_APPS' })?.revokeSessions, type).toBe(true);
    expect(updateOf('logto.User.SuspensionStatus.Updated', { data: { isSuspended: true } })).toMatchObject({ revokeSessions: true, status: 'disabled' });
    expect(updateOf('logto.User.SuspensionStatus.Updated', { data: { isSuspended: false } })).toEqual(expect.objectContaining({ status: 'active' }));
    expect(updateOf('logto.User.SuspensionStatus.Updated', { data: { isSuspended: false } })!.revokeSessions).toBeUndefined();
  });

  it('never treats user-linked, user-scope-consent or token-issued as a withdrawal', () => {
    for (const [type, data] of [['kakao.user-linked', {}], ['kakao.user-scope-consent', { scope: 'account_email' }], ['kakao.token-issued', {}]] as const) {
      const update = updateOf(type, data)!;
      expect(update.purge, type).toBeUndefined();
      expect(update.revokeSessions, type).toBeUndefined();
      expect(update.clearFields, type).toBeUndefined();
      expect(update.consent?.state ?? 'granted', type).toBe('granted');
    }
    expect(updateOf('kakao.user-linked')!.status).toBe('active');
  });

  it('purges on account deletion only', () => {
    expect(updateOf('kakao.unlinked', { referrer_type: 'ACCOUNT_DELETE' })).toMatchObject({ purge: true, status: 'deleted' });
    expect(updateOf('kakao.user-unlinked', { reason: 'FORCED_ACCOUNT_DELETE' })).toMatchObject({ purge: true, status: 'deleted' });
    expect(updateOf('kakao.user-unlinked', { reason: 'UNLINK_FROM_APPS' })).toMatchObject({ status: 'unlinked' });
    expect(updateOf('kakao.user-unlinked', { reason: 'UNLINK_FROM_APPS' })!.purge).toBeUndefined();
    const purging = ACCOUNT_EVENT_NAMES.filter((name) => (EVENT_ACTIONS[name].effects as readonly string[]).includes('purge'));
    expect(purging.sort()).toEqual(['kakao.account-purged', 'logto.User.Deleted']);
  });

  it('skips events that name no user or another kind of id', () => {
    expect(accountUpdateOf(event('kakao.sessions-revoked', {}, null))).toEqual({ skip: 'the event names no user' });
    expect(accountUpdateOf(event('logto.Role.Created'))).toEqual({ skip: 'not about one account' });
    expect(accountUpdateOf(event('kakao.talk-channel.added', { event: 'added', id_type: 'open_id', channel_public_id: '_c' }))).toMatchObject({ skip: expect.stringContaining('open_id') });
  });

  it('reads Kakao profile fields flat, whether nested as in the user API or not', () => {
    expect(updateOf('kakao.user-profile-changed', { subject: {}, kakao_account: { email: 'a@b.c', profile: { nickname: 'n' } }, phone_number: '1' })!.profile).toEqual({ email: 'a@b.c', nickname: 'n', phone_number: '1' });
  });
});

describe('Kakao scopes', () => {
  it('reads scope or scopes, as an array or a space-separated string', () => {
    expect(scopesOf({ scope: 'account_email profile_nickname' })).toEqual(['account_email', 'profile_nickname']);
    expect(scopesOf({ scopes: ['phone_number', 'phone_number'] })).toEqual(['phone_number']);
    expect(scopesOf({ scope: ['a'], scopes: 'b c' })).toEqual(['a', 'b', 'c']);
    expect(scopesOf({ scope: 5 })).toEqual([]);
  });

  it('maps scopes to the user API field names', () => {
    expect(fieldsOfScopes(['account_email', 'profile_image', 'unknown'])).toEqual(['email', 'is_email_valid', 'is_email_verified', 'profile_image_url', 'thumbnail_image_url', 'is_default_image']);
  });
});
