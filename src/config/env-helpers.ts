import { z } from 'zod';

/** Schema building blocks shared by the config fragments of every module. */

/** A comma-separated list; blanks around and between items are ignored. */
export const list = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

export const positiveInt = z.coerce.number().int().positive();
export const nonNegativeInt = z.coerce.number().int().nonnegative();

/** `true`/`1` or `false`/`0`; anything else is a mistake worth reporting rather than reading as false. */
export const booleanFlag = z
  .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1');
