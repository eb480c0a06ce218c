/**
 * The account API client for applications: the export `./client` of this package, and the entry
 * point of the package `kakao-logto-account-client` (packages/account-client), compiled from these
 * files. Nothing here imports the server: an application can depend on it without fastify, BullMQ
 * or a database driver, and that package's only dependency is eventsource-parser.
 */
export {
  createAccountClient,
  issuedAtMs,
  MAX_SESSIONS_PER_REQUEST,
  type AccountClient,
  type AccountClientOptions,
  type Provider,
  type SessionToCheck,
} from './account-client.js';
export type { ChangeHandlers } from './change-feed.js';
export { AccountClientError } from './errors.js';
export { createSessionGuard, type SessionGuard, type SessionGuardOptions, type SessionGuardStats } from './session-guard.js';
export type { AccountChange, AccountState, AccountStatus, ChangeKind } from '../model.js';
export type { SessionCheck, SessionRefusal } from '../session-check.js';
/** The body of a forwarded event (FORWARD_URL), for applications that receive them in TypeScript. */
export type { ForwardedEvent } from '../../forwarding/payload.js';
export type { EventName, EventOf } from '../../events/catalog.js';
