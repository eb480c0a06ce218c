import type { z } from 'zod';
import { rejected } from '../errors.js';

/**
 * Helpers for the step after authentication, shared by the providers: a verified body that is
 * not what it should be is a 400 ERR_PAYLOAD_INVALID that says what is wrong.
 */

/**
 * How deeply a JSON body may nest. Real payloads nest a handful of levels; a body nested far
 * deeper is refused before JSON.parse, since a deep value can exhaust the stack or the store's
 * own decoder later (and a refusal there would look like our fault).
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether an already parsed value holds more than `max` arrays or objects inside each other,
 * counted as jsonNestsDeeperThan counts its text, without recursion.
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
 * Whether `text` opens more than `max` arrays or objects inside each other, counted without
 * recursion and without parsing (brackets inside strings do not count).
 */
export function jsonNestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      depth += 1;
      if (depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth -= 1;
    }
  }
  return false;
}

/** A JSON object, or ERR_PAYLOAD_INVALID. */
export function parseJsonObject(text: string): Record<string, unknown> {
  if (jsonNestsDeeperThan(text, MAX_JSON_DEPTH)) {
    throw rejected('ERR_PAYLOAD_INVALID', `the body nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw rejected('ERR_PAYLOAD_INVALID', 'the body is not valid JSON', error);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw rejected('ERR_PAYLOAD_INVALID', 'the body must be a JSON object');
  }
  return json as Record<string, unknown>;
}

/** Every problem zod found, each with where it is; `whole` names the input when the path is empty. */
export function describeIssues(error: z.ZodError, whole: string): string {
  return error.issues.map((issue) => `${issue.path.join('.') || whole}: ${issue.message}`).join('; ');
}
