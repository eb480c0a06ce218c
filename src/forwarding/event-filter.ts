import { EVENT_NAMES } from '../events/catalog.js';

export const EVENT_FILTER_HINT = 'comma-separated event names, * matching any run of characters, e.g. kakao.*,logto.User.*';

export interface EventFilter {
  /** True when the event's type is one the patterns name. */
  matches(type: string): boolean;
  /** One message per pattern that cannot be right: it matches no event this receiver knows. */
  problems: string[];
}

/**
 * FORWARD_EVENTS patterns: exact event names, or names with `*` wildcards that match any run of
 * characters, dots included (`kakao.*` is every Kakao event, `logto.User.*` every Logto user
 * event). Matched against the event's type, case-sensitively, as `registry.on()` names are.
 */
export function compileEventFilter(patterns: readonly string[]): EventFilter {
  const regexes = patterns.map((pattern) => new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`));
  const matches = (type: string) => regexes.some((regex) => regex.test(type));
  const problems = patterns.flatMap((pattern, index) =>
    [...EVENT_NAMES].some((name) => regexes[index]!.test(name))
      ? []
      : [`"${pattern}" matches no event name (${EVENT_FILTER_HINT}; "npm run cli -- send --list" lists the names)`],
  );
  return { matches, problems };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
