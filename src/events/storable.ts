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
 */
export function toStorable<T>(value: T): T {
  if (typeof value === 'string') return storableText(value) as T;
  if (Array.isArray(value)) {
    const items = value.map((item: unknown) => toStorable(item));
    return (items.some((item, index) => item !== value[index]) ? items : value) as T;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    const next = entries.map(([key, item]): [string, unknown] => [storableText(key), toStorable(item)]);
    const changed = next.some(([key, item], index) => key !== entries[index]![0] || item !== entries[index]![1]);
    // fromEntries defines properties, so a "__proto__" key stays a key.
    return (changed ? Object.fromEntries(next) : value) as T;
  }
  return value;
}
