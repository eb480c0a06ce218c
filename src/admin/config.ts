import { z } from 'zod';
import { booleanFlag } from '../config/env-helpers.js';

/** Shortest ADMIN_PASSWORD accepted: it guards every event kept in the queues, and with ADMIN_ACTIONS the jobs themselves. */
export const ADMIN_PASSWORD_MIN_LENGTH = 12;

/** The queue dashboard's part of the environment schema (composed in src/config/config.ts). */
export const adminEnv = {
  /** HTTP Basic user name for the queue dashboard; with ADMIN_PASSWORD, enables /admin/queues. */
  ADMIN_USER: z
    .string()
    // RFC 7617 2: the user-id cannot contain a colon; control characters cannot be typed into a prompt.
    .regex(/^[^:\x00-\x1f\x7f]+$/, 'must not contain a colon or control characters')
    .optional(),
  /** HTTP Basic password for the queue dashboard. */
  ADMIN_PASSWORD: z
    .string()
    .min(ADMIN_PASSWORD_MIN_LENGTH, `must be at least ${ADMIN_PASSWORD_MIN_LENGTH} characters`)
    .regex(/^[^\x00-\x1f\x7f]+$/, 'must not contain control characters')
    .optional(),
  /**
   * Whether the dashboard may change the queues (add, retry, promote, clean, remove, pause,
   * obliterate, edit jobs). Off by default: an added `logto.User.Deleted` job purges a user, and
   * a forwarding job reaches the application with our valid signature.
   */
  ADMIN_ACTIONS: booleanFlag.default(false),
};

type AdminEnv = { [K in keyof typeof adminEnv]?: z.output<(typeof adminEnv)[K]> };

/**
 * One of the pair without the other is a mistake, not "dashboard off": reported with the variable
 * that is missing. Passed to `.superRefine(...)` of the whole schema; it runs even when other
 * variables are invalid, so the problem is listed with the rest.
 */
export const adminEnvCheck = [
  (env: AdminEnv, ctx: z.RefinementCtx) => {
    const hasUser = env.ADMIN_USER !== undefined;
    const hasPassword = env.ADMIN_PASSWORD !== undefined;
    if (hasUser && !hasPassword) {
      ctx.addIssue({ code: 'custom', path: ['ADMIN_PASSWORD'], message: 'is required when ADMIN_USER is set (the queue dashboard needs both)' });
    }
    if (hasPassword && !hasUser) {
      ctx.addIssue({ code: 'custom', path: ['ADMIN_USER'], message: 'is required when ADMIN_PASSWORD is set (the queue dashboard needs both)' });
    }
  },
  { when: (payload: { value: unknown }) => typeof payload.value === 'object' && payload.value !== null },
] as const;

export interface AdminConfig {
  /** HTTP Basic credentials of the queue dashboard. */
  user: string;
  password: string;
  /** ADMIN_ACTIONS: false leaves the queues read-only through the dashboard. */
  actions: boolean;
}

/** Present only when ADMIN_USER and ADMIN_PASSWORD are both set: the dashboard routes exist only then. */
export function adminConfigOf(env: AdminEnv): AdminConfig | undefined {
  return env.ADMIN_USER !== undefined && env.ADMIN_PASSWORD !== undefined
    ? { user: env.ADMIN_USER, password: env.ADMIN_PASSWORD, actions: env.ADMIN_ACTIONS ?? false }
    : undefined;
}
