import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Metrics } from '../metrics.js';
import type { Component, ComponentContext, ReadinessCheck, Role, Routes, Services, Started } from './component.js';

/**
 * The order components close in: stages, one after another; the components of one stage close
 * together. Every component of the list has its place (those with nothing to close too), so a new
 * one cannot be forgotten.
 */
export type ShutdownOrder = readonly (string | readonly string[])[];

export interface RunOptions {
  config: Config;
  role: Role;
  logger: Logger;
  metrics: Metrics;
  /** Services given from outside (tests: an open store, a queue). */
  provided?: Partial<Services>;
  /** Default: the reverse of the start order. */
  shutdownOrder?: ShutdownOrder;
}

export interface Running {
  /** What the started components provided, by name. */
  services: Partial<Services>;
  /** Their route plugins and readiness checks, in start order. */
  routes: readonly Routes[];
  readiness: readonly ReadinessCheck[];
  /** Closes every started component in the shutdown order; the first error is thrown after all closed. */
  close(): Promise<void>;
}

/**
 * Starts, in order, the components that run in this role. When one fails to start, those already
 * started close in reverse order and the error is rethrown. Each close is logged at debug level
 * (`component closed`), which is how tests see the order.
 */
export async function runComponents(components: readonly Component[], options: RunOptions): Promise<Running> {
  const { config, role, logger } = options;
  const stages = shutdownStages(components, options.shutdownOrder);
  const active = components.filter((component) => component.roles.includes(role));
  const services: Partial<Services> = { ...options.provided };
  for (const component of active) component.check?.({ config, role, find: (name) => services[name] });

  const routes: Routes[] = [];
  const readiness: ReadinessCheck[] = [];
  const closing = new AbortController();
  const started: { name: string; close: Started['close'] }[] = [];
  const context: ComponentContext = {
    config,
    role,
    logger,
    metrics: options.metrics,
    closing: closing.signal,
    use(name) {
      if (services[name] === undefined) throw new Error(`no component before this one provides ${String(name)}`);
      return services[name]!;
    },
    find: (name) => services[name],
    contributions: () => ({ routes: [...routes], readiness: [...readiness] }),
  };

  const closeOne = async (name: string) => {
    const component = started.find((entry) => entry.name === name);
    if (!component) return;
    started.splice(started.indexOf(component), 1);
    await component.close?.();
    logger.debug({ closed: name }, 'component closed');
  };

  for (const component of active) {
    try {
      const contribution = (await component.start(context)) ?? {};
      Object.assign(services, contribution.provides);
      if (contribution.routes) routes.push(contribution.routes);
      readiness.push(...(contribution.readiness ?? []));
      started.push({ name: component.name, close: contribution.close?.bind(contribution) });
    } catch (error) {
      // E.g. the port is taken: a library caller (startReceiver) must not be left with open
      // connections and timers it cannot reach.
      closing.abort();
      for (const { name } of [...started].reverse()) await closeOne(name).catch(() => {});
      throw error;
    }
  }

  let closed: Promise<void> | undefined;
  return {
    services,
    routes,
    readiness,
    close() {
      closed ??= (async () => {
        closing.abort();
        const errors: unknown[] = [];
        const order = stages ?? [...started].reverse().map(({ name }) => [name]);
        for (const stage of order) {
          const results = await Promise.allSettled(stage.map(closeOne));
          for (const result of results) if (result.status === 'rejected') errors.push(result.reason);
        }
        if (errors.length > 0) throw errors[0];
      })();
      return closed;
    },
  };
}

function shutdownStages(components: readonly Component[], order: ShutdownOrder | undefined): string[][] | undefined {
  if (!order) return undefined;
  const stages = order.map((stage) => (typeof stage === 'string' ? [stage] : [...stage]));
  const listed = stages.flat();
  const names = components.map((component) => component.name);
  const missing = names.filter((name) => !listed.includes(name));
  const unknown = listed.filter((name, index) => !names.includes(name) || listed.indexOf(name) !== index);
  if (missing.length > 0 || unknown.length > 0) {
    throw new Error(`the shutdown order must name every component once: missing ${missing.join(', ') || 'none'}; unknown or repeated ${unknown.join(', ') || 'none'}`);
  }
  return stages;
}
