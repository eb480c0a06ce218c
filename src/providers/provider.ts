import type { Component } from '../composition/component.js';
import type { Provider } from '../events/envelope.js';

/**
 * A webhook provider: its folder under src/providers/, and one line in src/providers/index.ts.
 * Its config fragment is composed in src/config/config.ts; its event types in src/events/catalog.ts.
 */
export interface WebhookProvider {
  /** The `provider` of its events (src/events/envelope.ts). */
  name: Provider;
  /**
   * Started before the store opens, so slow preparation overlaps with opening it (Kakao's keys
   * are fetched while the embedded store's first start takes seconds). Closed just before the store.
   */
  early?: readonly Component[];
  /** Its webhook endpoints: started once the event queue is open, closed with the HTTP app. */
  receivers: readonly Component[];
}
