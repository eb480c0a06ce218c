import { describe, expect, it } from 'vitest';
import { EVENT_NAMES } from '../../src/events/catalog.js';
import { compileEventFilter } from '../../src/forwarding/event-filter.js';

const NAMES = [...EVENT_NAMES];
const matching = (patterns: string[]) => NAMES.filter((name) => compileEventFilter(patterns).matches(name));

describe('compileEventFilter', () => {
  it('uses names the receiver really has (guards the examples below)', () => {
    for (const name of ['kakao.user-linked', 'kakao.user-unlinked', 'kakao.talk-channel.blocked', 'kakao.talk-channel.added', 'kakao.talk-share.sent', 'logto.User.Created', 'logto.User.Data.Updated', 'logto.Role.Created', 'logto.OrganizationRole.Created', 'kakao.unknown', 'logto.unknown']) {
      expect(EVENT_NAMES.has(name), name).toBe(true);
    }
  });

  it('matches an exact name and nothing else', () => {
    const filter = compileEventFilter(['kakao.user-unlinked']);
    expect(filter.problems).toEqual([]);
    expect(matching(['kakao.user-unlinked'])).toEqual(['kakao.user-unlinked']);
    expect(filter.matches('kakao.user-unlinkedX')).toBe(false);
    expect(filter.matches('Xkakao.user-unlinked')).toBe(false);
    expect(filter.matches('kakao.user-unlinke')).toBe(false);
    expect(filter.matches('')).toBe(false);
  });

  it('`*` alone matches every event, and any text', () => {
    const filter = compileEventFilter(['*']);
    expect(filter.problems).toEqual([]);
    expect(matching(['*'])).toEqual(NAMES);
    expect(filter.matches('anything.at.all')).toBe(true);
  });

  it('`kakao.*` matches every Kakao event, names with several dots included, and no Logto one', () => {
    const filter = compileEventFilter(['kakao.*']);
    expect(filter.problems).toEqual([]);
    expect(filter.matches('kakao.talk-channel.blocked')).toBe(true);
    expect(filter.matches('kakao.talk-share.sent')).toBe(true);
    expect(filter.matches('kakao.user-linked')).toBe(true);
    expect(filter.matches('logto.User.Created')).toBe(false);
    expect(filter.matches('kakao')).toBe(false);
    expect(filter.matches('xkakao.user-linked')).toBe(false);
    expect(matching(['kakao.*'])).toEqual(NAMES.filter((name) => name.startsWith('kakao.')));
  });

  it('`logto.User.*` matches the user events only', () => {
    const filter = compileEventFilter(['logto.User.*']);
    expect(filter.problems).toEqual([]);
    expect(filter.matches('logto.User.Created')).toBe(true);
    expect(filter.matches('logto.User.Data.Updated')).toBe(true);
    expect(filter.matches('logto.Role.Created')).toBe(false);
    expect(filter.matches('logto.Users.Created')).toBe(false);
    expect(matching(['logto.User.*'])).toEqual(['logto.User.Created', 'logto.User.Deleted', 'logto.User.Data.Updated', 'logto.User.SuspensionStatus.Updated']);
  });

  it('a `*` in the middle matches any run of characters, dots included', () => {
    expect(matching(['logto.*.Created'])).toEqual(NAMES.filter((name) => name.startsWith('logto.') && name.endsWith('.Created')));
    expect(compileEventFilter(['logto.*.Created']).matches('logto.User.Created')).toBe(true);
    expect(compileEventFilter(['logto.*.Created']).matches('logto.User.Deleted')).toBe(false);
    expect(compileEventFilter(['kakao.talk-*.*']).matches('kakao.talk-channel.blocked')).toBe(true);
    expect(compileEventFilter(['kakao.talk-*.*']).matches('kakao.token-issued')).toBe(false);
  });

  it('takes regular-expression characters literally', () => {
    // `.` is a dot, not any character.
    expect(compileEventFilter(['kakao.user-unlinked']).matches('kakaoXuser-unlinked')).toBe(false);
    expect(compileEventFilter(['logto.User.Created']).matches('logto-User-Created')).toBe(false);
    // Alternation, classes, quantifiers and anchors are text too: they match nothing real.
    for (const pattern of ['logto.User.(Created|Deleted)', 'kakao.user-[a-z]*', 'kakao.user-linked+', 'kakao.user-linked?', '^kakao.*', 'kakao.*$', 'kakao\\.user-linked', 'logto.User.Created{1}']) {
      const filter = compileEventFilter([pattern]);
      expect(matching([pattern]), pattern).toEqual([]);
      expect(filter.problems, pattern).toHaveLength(1);
    }
    expect(compileEventFilter(['kakao.user-linked+']).matches('kakao.user-linkedd')).toBe(false);
    expect(compileEventFilter(['kakao.user-linked+']).matches('kakao.user-linked+')).toBe(true);
    expect(compileEventFilter(['logto.User.(Created|Deleted)']).matches('logto.User.(Created|Deleted)')).toBe(true);
  });

  it('is case-sensitive', () => {
    expect(compileEventFilter(['logto.user.*']).matches('logto.User.Created')).toBe(false);
    expect(compileEventFilter(['Kakao.*']).matches('kakao.user-linked')).toBe(false);
    expect(compileEventFilter(['logto.user.created']).problems).toHaveLength(1);
  });

  it('matches an event any one pattern names', () => {
    const filter = compileEventFilter(['kakao.user-linked', 'logto.User.*']);
    expect(filter.problems).toEqual([]);
    expect(matching(['kakao.user-linked', 'logto.User.*'])).toEqual(['kakao.user-linked', ...matching(['logto.User.*'])]);
  });

  it('lists each pattern that matches no known event, in order, naming it', () => {
    const filter = compileEventFilter(['logto.Usr.*', 'kakao.*', 'kakao.user_linked', 'logto.User.*']);
    expect(filter.problems).toHaveLength(2);
    expect(filter.problems[0]).toMatch(/^"logto\.Usr\.\*" matches no event name/);
    expect(filter.problems[1]).toMatch(/^"kakao\.user_linked" matches no event name/);
    // A pattern with problems still filters: the good ones match.
    expect(filter.matches('kakao.user-linked')).toBe(true);
    expect(filter.matches('logto.Role.Created')).toBe(false);
  });

  it('no pattern: matches nothing, no problem', () => {
    const filter = compileEventFilter([]);
    expect(filter.problems).toEqual([]);
    expect(matching([])).toEqual([]);
  });
});
