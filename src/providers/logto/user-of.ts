import type { LogtoPayloadBase, LogtoUser } from './events.js';
import { logtoUserSchema } from './payload-schemas.js';

/**
 * These Management API routes put only the new customData or profile object in `data`, not the
 * user (Logto's webhook payload docs); reading it as a user would take a custom field for a profile field.
 */
const PARTIAL_USER_ROUTES = /\/(custom-data|profile)$/;

/**
 * The user a payload carries, if it carries one whole: `user` in interaction events, `data` in
 * User.* events except where `data` is only part of the user. Undefined otherwise, including for
 * console test payloads (`data: { result: 'success' }`).
 */
export function logtoUserOf(payload: LogtoPayloadBase): LogtoUser | undefined {
  const candidate = payload.user ?? (payload.event.startsWith('User.') && !isPartialUserRoute(payload) ? payload.data : undefined);
  const parsed = logtoUserSchema.safeParse(candidate);
  return parsed.success ? (parsed.data as LogtoUser) : undefined;
}

function isPartialUserRoute(payload: LogtoPayloadBase): boolean {
  const route = typeof payload.matchedRoute === 'string' ? payload.matchedRoute : payload.path;
  return typeof route === 'string' && PARTIAL_USER_ROUTES.test(route);
}

/** The console's "Send test payload" fills in fixed fake values; no real user is meant. */
export function isLogtoTestPayload(payload: LogtoPayloadBase): boolean {
  return payload.userAgent === 'fake-user-agent' && (payload.sessionId === 'fake-session-id' || payload.path === '/fake-path/:id');
}
