/**
 * Text every store can hold. PostgreSQL's text and jsonb cannot hold U+0000 (SQLSTATE 22021,
 * 22P05), and jsonb refuses a lone UTF-16 surrogate (22P02); both arrive in valid JSON, query
 * strings and forms, and in correctly signed webhooks. Each becomes U+FFFD, the replacement
 * character, before anything is stored, on every store alike: the event is kept rather than
 * refused (the sender is authentic; only one character is unrepresentable), it reads the same on
 * Redis as on PostgreSQL, and a user id names the same account in an event and in an account API
 * request.
 */
const UNSTORABLE = /[\u0000\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function storableText(text: string): string {
  if (!UNSTORABLE.test(text)) return text; // the common case: no copy
  return text.replace(LONE_SURROGATE, '\uFFFD').replaceAll('\u0000', '\uFFFD');
}

/**
 * `value` (parsed JSON) with storableText applied to every string in it, object keys included.
 * Returns `value` itself when nothing changes; otherwise a copy of the parts that change.
 * Every event passes here on the request path, and almost none holds such a character: a look
 * that allocates nothing comes first, and only a value that needs it is copied.
 */
export function toStorable<T>(value: T): T {
  return holdsUnstorable(value) ? copyStorable(value) : value;
}

function holdsUnstorable(value: unknown): boolean {
  if (typeof value === 'string') return UNSTORABLE.test(value);
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (holdsUnstorable(item)) return true;
    return false;
  }
  for (const key in value) {
    if (UNSTORABLE.test(key) || holdsUnstorable((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

function copyStorable<T>(value: T): T {
  if (typeof value === 'string') return storableText(value) as T;
  if (Array.isArray(value)) {
    const items = value.map((item: unknown) => copyStorable(item));
    return (items.some((item, index) => item !== value[index]) ? items : value) as T;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    const next = entries.map(([key, item]): [string, unknown] => [storableText(key), copyStorable(item)]);
    const changed = next.some(([key, item], index) => key !== entries[index]![0] || item !== entries[index]![1]);
    // fromEntries defines properties, so a "__proto__" key stays a key.
    return (changed ? Object.fromEntries(next) : value) as T;
  }
  return value;
}
