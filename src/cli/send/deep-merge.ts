/**
 * `--data` merged into an event's sample data: objects merge key by key at every depth, anything
 * else (strings, numbers, arrays, null) replaces what was there. So
 * `--data '{"data":{"isSuspended":false}}'` changes one field of a Logto user and keeps the rest.
 */
export type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

export function deepMerge(base: JsonObject, patch: JsonObject): JsonObject {
  // A Map, then fromEntries: a key like `__proto__` from the command line stays an ordinary key.
  const merged = new Map(Object.entries(base));
  for (const [key, value] of Object.entries(patch)) {
    const current = merged.get(key);
    merged.set(key, isObject(current) && isObject(value) ? deepMerge(current, value) : value);
  }
  return Object.fromEntries(merged);
}
