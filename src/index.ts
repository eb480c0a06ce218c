/**
 * The package's main entry (`import { startReceiver } from 'kakao-logto-webhook-receiver'`): start
 * the service from your own code with your handlers, and the types to write them. The account API
 * client lives apart, at `kakao-logto-webhook-receiver/client`, so applications that only query
 * account state load none of the server; the package `kakao-logto-account-client`
 * (packages/account-client) is the same client, installed without the server's dependencies.
 */
export { startReceiver, type Receiver, type ReceiverOptions } from './start-receiver.js';
export { defineHandlers, type RegisterHandlers } from './handlers/define-handlers.js';
export type { HandlerRegistry } from './handlers/registry.js';
export { HandlerError, type ErrorHook, type Handler, type HandlerContext, type HandlerOptions } from './handlers/types.js';
export { EVENT_NAMES, type EventDataMap, type EventName, type EventOf } from './events/catalog.js';
export type { EventSubject, Provider, WebhookEvent } from './events/envelope.js';
export { PERMANENT_ERROR_CODE, PermanentError, StartupError } from './errors.js';
export { ConfigError, type Config } from './config/config.js';
export type { Role } from './service.js';
