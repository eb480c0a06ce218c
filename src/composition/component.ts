import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Metrics } from '../metrics.js';

/** Which process: the HTTP receiver, the worker, or both in one (the default). */
export type Role = 'all' | 'receiver' | 'worker';

/** Every role but the receiver runs the handlers. */
export const WORKER_ROLES: readonly Role[] = ['all', 'worker'];
/** Every role but the worker takes webhooks. */
export const RECEIVER_ROLES: readonly Role[] = ['all', 'receiver'];
export const ALL_ROLES: readonly Role[] = ['all', 'receiver', 'worker'];

/**
 * What components provide to the ones started after them, by name: the store, the event queue,
 * the handler registry, ... Each feature adds its entries next to its component, by declaration
 * merging (as Fastify's decorators do):
 *
 * @example
 * declare module '../composition/component.js' {
 *   interface Services {
 *     eventQueue: EventQueue;
 *   }
 * }
 */
export interface Services {}

/** One thing /readyz asks: the store answers, Kakao's keys have been fetched, ... */
export interface ReadinessCheck {
  name: string;
  check: () => boolean | Promise<boolean>;
}

/** Routes a component serves: an encapsulated Fastify plugin, and its endpoints for the start-up log. */
export interface Routes {
  plugin: FastifyPluginAsync;
  /** "METHOD path" of the webhook and API endpoints it serves (health and dashboard assets aside). */
  endpoints: readonly string[];
}

export interface ComponentContext {
  readonly config: Config;
  readonly role: Role;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Aborted when the service starts closing (or start-up failed): a component's long waits give up. */
  readonly closing: AbortSignal;
  /** What an earlier component provided; throws when none did (a mistake in the component list). */
  use<K extends keyof Services>(name: K): Services[K];
  /** What an earlier component provided, if one did (the handler registry is absent in a receiver). */
  find<K extends keyof Services>(name: K): Services[K] | undefined;
  /** Every route plugin and readiness check contributed so far (the HTTP component serves them). */
  contributions(): { routes: readonly Routes[]; readiness: readonly ReadinessCheck[] };
}

/** What a started component contributes, and how it stops. */
export interface Started {
  provides?: Partial<Services>;
  routes?: Routes;
  readiness?: readonly ReadinessCheck[];
  /** Lets its work finish and releases what it opened; called once, in the service's shutdown order. */
  close?(): Promise<void> | void;
}

/**
 * One concern of a process (an endpoint group, a worker, the store, ...), in its feature's folder.
 * The service starts the components of its role in the order of its list; each gets what the
 * earlier ones provided. A component that is not configured returns nothing from start().
 */
export interface Component {
  readonly name: string;
  readonly roles: readonly Role[];
  /** Refuses a configuration it cannot run with, before any component starts (throw StartupError). */
  check?(context: Pick<ComponentContext, 'config' | 'role' | 'find'>): void;
  start(context: ComponentContext): Promise<Started | void> | Started | void;
}
