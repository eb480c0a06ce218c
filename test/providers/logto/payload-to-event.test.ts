import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LOGTO_EVENT_TYPES, logtoEventName } from '../../../src/providers/logto/events.js';
import { parseLogtoPayload } from '../../../src/providers/logto/parse-payload.js';
import { payloadToEvent } from '../../../src/providers/logto/payload-to-event.js';
import { consoleInteractionTestPayload, consoleTestPayload, userDataUpdated } from '../../helpers/logto-signer.js';

function toEvent(payload: Record<string, unknown>) {
  const raw = Buffer.from(JSON.stringify(payload));
  const { name, payload: parsed } = parseLogtoPayload(raw);
  return payloadToEvent(name, parsed, raw, new Date('2026-08-21T09:00:00.000Z'));
}

describe('logtoEventName', () => {
  it('names all 31 events Logto defines and nothing else', () => {
    expect(Object.keys(LOGTO_EVENT_TYPES)).toHaveLength(31);
    expect(logtoEventName('Organization.Membership.Updated')).toBe('logto.Organization.Membership.Updated');
    expect(logtoEventName('User.SignedOut')).toBe('logto.unknown');
    expect(logtoEventName('Organization.Membership.Accepted')).toBe('logto.unknown');
    expect(logtoEventName('toString')).toBe('logto.unknown');
  });
});

describe('payloadToEvent', () => {
  it('builds the envelope: id from the raw body hash, occurredAt from createdAt, data as sent', () => {
    const payload = userDataUpdated({ userId: 'u1a2b3c4d5e6', createdAt: '2026-08-21T08:59:30.123Z' });
    const raw = JSON.stringify(payload);
    expect(toEvent(payload)).toEqual({
      id: `logto-${createHash('sha256').update(raw).digest('hex')}`,
      provider: 'logto',
      type: 'logto.User.Data.Updated',
      sourceType: 'User.Data.Updated',
      subject: { id: 'u1a2b3c4d5e6' },
      occurredAt: '2026-08-21T08:59:30.123Z',
      receivedAt: '2026-08-21T09:00:00.000Z',
      data: payload,
    });
  });

  it('keeps fields it does not know', () => {
    expect(toEvent(userDataUpdated({ somethingNew: { x: 1 } })).data).toMatchObject({ somethingNew: { x: 1 } });
  });

  describe('subject', () => {
    it('is userId in interaction events', () => {
      const payload = { ...consoleInteractionTestPayload('PostRegister'), userAgent: 'Mozilla/5.0', sessionId: 's1', userId: 'u42', user: { id: 'u42' } };
      expect(toEvent(payload).subject).toEqual({ id: 'u42' });
    });

    it('is user.id when userId is absent', () => {
      const payload = { event: 'PostSignIn', createdAt: new Date().toISOString(), user: { id: 'u43' } };
      expect(toEvent(payload).subject).toEqual({ id: 'u43' });
    });

    it('is data.id for a User.* event from the Experience API (no route params)', () => {
      const { path: _p, params: _q, matchedRoute: _m, ...payload } = userDataUpdated({ userId: 'u44' });
      expect(toEvent(payload).subject).toEqual({ id: 'u44' });
    });

    it('is params.userId, not a custom field, when data is only customData', () => {
      const payload = userDataUpdated({
        path: '/users/u45/custom-data',
        params: { userId: 'u45' },
        matchedRoute: '/users/:userId/custom-data',
        data: { id: 'not-a-user-id', plan: 'pro' },
      });
      expect(toEvent(payload).subject).toEqual({ id: 'u45' });
    });

    it('is the userId of Grant.LimitExceeded and of a trusted device', () => {
      expect(toEvent({ event: 'Grant.LimitExceeded', createdAt: new Date().toISOString(), userId: 'u46', revokedGrantIds: ['g1'] }).subject).toEqual({ id: 'u46' });
      expect(toEvent({ event: 'TrustedDevice.Created', createdAt: new Date().toISOString(), data: { id: 'd1', userId: 'u47' } }).subject).toEqual({ id: 'u47' });
    });

    it('is the locked identifier only when it is a user id', () => {
      const lockout = { event: 'Identifier.Lockout', createdAt: new Date().toISOString(), type: 'userId', value: 'u48' };
      expect(toEvent(lockout).subject).toEqual({ id: 'u48' });
      expect(toEvent({ ...lockout, type: 'email', value: 'ada@example.com' }).subject).toBeNull();
    });

    it('is null for events about no single user, and for console test payloads', () => {
      const membership = { event: 'Organization.Membership.Updated', createdAt: new Date().toISOString(), organizationId: 'o1', addedUserIds: ['u1', 'u2'] };
      expect(toEvent(membership).subject).toBeNull();
      expect(toEvent({ event: 'Role.Created', createdAt: new Date().toISOString(), data: { id: 'r1', name: 'admin' } }).subject).toBeNull();
      expect(toEvent(consoleTestPayload('User.Deleted')).subject).toBeNull();
      expect(toEvent(consoleInteractionTestPayload('PostResetPassword')).subject).toBeNull();
    });
  });
});
