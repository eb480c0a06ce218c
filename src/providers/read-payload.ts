import type { z } from 'zod';
import { rejected } from '../errors.js';

/**
 * Helpers for the step after authentication, shared by the providers: a verified body that is
 * not what it should be is a 400 ERR_PAYLOAD_INVALID that says what is wrong.
 */

/**
 * How deeply a JSON body may nest. Real payloads nest a handful of levels; a body nested far
 * deeper is refused, since a deep value can exhaust the stack of what handles it later
 * (JSON.stringify, the store's own decoder), and a refusal there would look like our fault.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether an already parsed value holds more than `max` arrays or objects inside each other
 * (the top-level value counts as one), counted without recursion.
 */
export function valueNestsDeeperThan(value: unknown, max: number): boolean {
  const pending: [unknown, number][] = [[value, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, depth] = next;
    if (typeof item !== 'object' || item === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
  return false;
}

/**
 * A JSON object, or ERR_PAYLOAD_INVALID. Only for bodies whose sender is authenticated already:
 * the depth is checked on the parsed value (V8's JSON.parse does not recurse, so a deep text
 * cannot overflow it), which costs a request a fraction of scanning its text first.
 */
export function parseJsonObject(text: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw rejected('ERR_PAYLOAD_INVALID', 'the body is not valid JSON', error);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw rejected('ERR_PAYLOAD_INVALID', 'the body must be a JSON object');
  }
  if (valueNestsDeeperThan(json, MAX_JSON_DEPTH)) {
    throw rejected('ERR_PAYLOAD_INVALID', `the body nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
  return json as Record<string, unknown>;
}

/** Every problem zod found, each with where it is; `whole` names the input when the path is empty. */
export function describeIssues(error: z.ZodError, whole: string): string {
  return error.issues.map((issue) => `${issue.path.join('.') || whole}: ${issue.message}`).join('; ');
}
