import { kakao } from './kakao/components.js';
import { logto } from './logto/components.js';
import type { WebhookProvider } from './provider.js';

/**
 * Every webhook provider, one line each, in the order their endpoints are listed at start-up.
 * A new provider is a folder beside these (its routes, verification, event types and a
 * components.ts exporting its WebhookProvider), one line here, its config fragment in
 * src/config/config.ts and its event types in src/events/catalog.ts. ARCHITECTURE.md traces a request.
 */
export const PROVIDERS: readonly WebhookProvider[] = [kakao, logto];
