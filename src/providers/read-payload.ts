import type { z } from 'zod';
import { rejected } from '../errors.js';

/**
 * Helpers for the step after authentication, shared by the providers: a verified body that is
 * not what it should be is a 400 ERR_PAYLOAD_INVALID that says what is wrong.
 */

/** A JSON object, or ERR_PAYLOAD_INVALID. */
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
  return json as Record<string, unknown>;
}

/** Every problem zod found, each with where it is; `whole` names the input when the path is empty. */
export function describeIssues(error: z.ZodError, whole: string): string {
  return error.issues.map((issue) => `${issue.path.join('.') || whole}: ${issue.message}`).join('; ');
}
