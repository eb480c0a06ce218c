import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { accountApiComponent } from './accounts/components.js';
import { dashboardComponent } from './admin/components.js';
import type { Component, Role } from './composition/component.js';
import { runComponents, type ShutdownOrder } from './composition/run-components.js';
import type { Config } from './config/config.js';
import { deliveriesComponent, forwarderComponent } from './forwarding/components.js';
import { builtInHandlersComponent, handlersComponent } from './handlers/components.js';
import type { RegisterHandlers } from './handlers/define-handlers.js';
import type { HandlerRegistry } from './handlers/registry.js';
import { httpComponent } from './http/components.js';
import { createMetrics } from './metrics.js';
import { queueCollectorsComponent } from './observability/components.js';
import { PROVIDERS } from './providers/index.js';
import type { QueueBackend } from './queue/backend.js';
import { eventQueueComponent, eventWorkerComponent, purgeComponent, readQueuesComponent, storeComponent } from './queue/components.js';

export type { Role };

export interface Service {
  app: FastifyInstance;
  backend: QueueBackend;
  registry?: HandlerRegistry;
  /** Stops taking requests, lets active jobs finish, closes the store. */
  close(): Promise<void>;
}

export interface StartOptions {
  role: Role;
  logger: Logger;
  /** Replaces src/handlers/index.ts (tests, startReceiver); the built-in ones and HANDLERS_MODULE modules still run. */
  registerHandlers?: RegisterHandlers;
  /** An already open store, shared with the caller, who closes it (tests). */
  backend?: QueueBackend;
}

const early = PROVIDERS.flatMap((provider) => provider.early ?? []);
const receivers = PROVIDERS.flatMap((provider) => provider.receivers);
const routesOnly = [...receivers, accountApiComponent, dashboardComponent].map(({ name }) => name);

/** The order of shutdown: stop taking requests, let active jobs and deliveries finish, close queues, close the store. */
export const SHUTDOWN_ORDER: ShutdownOrder = [
  ['http', ...routesOnly], // new requests get 503 while in-flight ones finish
  ['event-worker', 'forwarding-deliveries'], // active jobs finish; a delivery still in flight after 2 s is retried later
  ['forwarder', 'purge', 'built-in-handlers', 'handlers'],
  ['event-queue', 'queue-collectors'],
  'read-queues', // after every reader: the collectors, the purge, the dashboard
  early.map(({ name }) => name),
  'store',
];

/** Wires a process together from its components: the HTTP receiver, the worker, or both. */
export async function startService(config: Config, options: StartOptions): Promise<Service> {
  const components: Component[] = [
    handlersComponent(options.registerHandlers),
    ...early,
    storeComponent,
    readQueuesComponent,
    eventQueueComponent,
    queueCollectorsComponent,
    ...receivers,
    accountApiComponent,
    dashboardComponent,
    purgeComponent,
    forwarderComponent,
    builtInHandlersComponent,
    eventWorkerComponent,
    deliveriesComponent,
    httpComponent,
  ];
  const { role, logger } = options;
  const running = await runComponents(components, {
    config,
    role,
    logger,
    metrics: createMetrics(),
    shutdownOrder: SHUTDOWN_ORDER,
    ...(options.backend ? { provided: { backend: options.backend } } : {}),
  });
  const { app, backend, registry } = running.services;
  return { app: app!, backend: backend!, registry, close: () => running.close() };
}
