import { z } from 'zod';
import { rejected } from '../../errors.js';
import { describeIssues } from '../read-payload.js';
import type { Params } from './admin-params.js';

/**
 * Building blocks for the admin-key webhooks' parameter schemas, and the one place their zod
 * failures become ERR_PAYLOAD_INVALID (400). Messages name the parameter, never its value.
 */

/** A non-empty string given once (a repeated query or form name arrives as an array). */
export const text = z.string({ error: 'must be given once, as a string' }).min(1, 'must not be empty');

/**
 * A Kakao id. Always a string: ids exceed 2^53. A JSON number is taken only while it is exact;
 * a bigger one has already lost digits in JSON.parse, so it is refused rather than guessed.
 */
export const kakaoId = z
  .union([text, z.number().refine(Number.isSafeInteger, 'must be a string (numbers above 2^53 lose digits)')], {
    error: 'must be given once, as a string',
  })
  .transform(String);

/** A positive decimal of at most 20 digits, as Kakao's user and app ids are. */
export const KAKAO_DECIMAL_ID = /^[1-9][0-9]{0,19}$/;

/** A Kakao user or app id: `kakaoId`, and a positive decimal of at most 20 digits. */
export const kakaoDecimalId = kakaoId.refine((value) => KAKAO_DECIMAL_ID.test(value), 'must be a positive decimal id of at most 20 digits');

export function parseParams<T extends z.ZodType>(schema: T, params: Params, what: string): z.output<T> {
  const result = schema.safeParse(params);
  if (result.success) return result.data;
  throw rejected('ERR_PAYLOAD_INVALID', `invalid ${what} parameters: ${describeIssues(result.error, '(parameters)')}`, result.error);
}
