import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Component, Started } from '../../src/composition/component.js';
import { runComponents } from '../../src/composition/run-components.js';
import { createMetrics } from '../../src/metrics.js';
import { testConfig } from '../helpers/test-config.js';

const base = () => ({ config: testConfig(), role: 'all' as const, logger: pino({ level: 'silent' }), metrics: createMetrics() });

/** A component that records its start and close in `events`; it fails to start or close when told. */
function fake(name: string, events: string[], options: { failStart?: boolean; failClose?: boolean; closeMs?: number; roles?: Component['roles'] } = {}): Component {
  return {
    name,
    roles: options.roles ?? ['all'],
    start(): Started {
      if (options.failStart) throw new Error(`${name} failed to start`);
      events.push(`start ${name}`);
      return {
        async close() {
          events.push(`close ${name}`);
          if (options.closeMs) await new Promise((resolve) => setTimeout(resolve, options.closeMs));
          if (options.failClose) throw new Error(`${name} failed to close`);
          events.push(`closed ${name}`);
        },
      };
    },
  };
}

describe('runComponents', () => {
  it('closes what started, in reverse order, when a component fails to start, and rethrows its error', async () => {
    const events: string[] = [];
    const components = [fake('a', events), fake('b', events), fake('c', events, { failStart: true }), fake('d', events)];
    await expect(runComponents(components, base())).rejects.toThrow('c failed to start');
    expect(events).toEqual(['start a', 'start b', 'close b', 'closed b', 'close a', 'closed a']);
  });

  it('closes in the shutdown order, the components of a stage together, whatever the start order', async () => {
    const events: string[] = [];
    const components = [fake('store', events), fake('worker', events, { closeMs: 50 }), fake('deliveries', events), fake('http', events)];
    const running = await runComponents(components, { ...base(), shutdownOrder: ['http', ['worker', 'deliveries'], 'store'] });
    await running.close();
    expect(events.slice(4)).toEqual(['close http', 'closed http', 'close worker', 'close deliveries', 'closed deliveries', 'closed worker', 'close store', 'closed store']);
  });

  it('closes the rest when one fails to close, then throws its error; a second close() does nothing more', async () => {
    const events: string[] = [];
    const running = await runComponents([fake('a', events), fake('b', events, { failClose: true })], { ...base(), shutdownOrder: ['b', 'a'] });
    await expect(running.close()).rejects.toThrow('b failed to close');
    await expect(running.close()).rejects.toThrow('b failed to close');
    expect(events).toEqual(['start a', 'start b', 'close b', 'close a', 'closed a']);
  });

  it('starts only the components of the role, and refuses a configuration in check() before any starts', async () => {
    const events: string[] = [];
    const refusing: Component = { name: 'refusing', roles: ['all'], check: () => { throw new Error('refused'); }, start: () => void events.push('start refusing') };
    await expect(runComponents([fake('a', events), refusing], base())).rejects.toThrow('refused');
    expect(events).toEqual([]);
    const running = await runComponents([fake('a', events), fake('worker-only', events, { roles: ['worker'] })], base());
    await running.close();
    expect(events).toEqual(['start a', 'close a', 'closed a']);
  });

  it('refuses a shutdown order that leaves a component out or names one twice', async () => {
    const events: string[] = [];
    await expect(runComponents([fake('a', events), fake('b', events)], { ...base(), shutdownOrder: ['a'] })).rejects.toThrow(/missing b/);
    await expect(runComponents([fake('a', events)], { ...base(), shutdownOrder: ['a', 'a'] })).rejects.toThrow(/repeated a/);
    expect(events).toEqual([]);
  });

  it('gives a component what earlier ones provided, and names what is missing', async () => {
    const seen: unknown[] = [];
    const provider: Component = { name: 'provider', roles: ['all'], start: () => ({ provides: { registry: 'the registry' as never } }) };
    const user: Component = { name: 'user', roles: ['all'], start: ({ use, find }) => void seen.push(use('registry'), find('backend')) };
    await runComponents([provider, user], base());
    expect(seen).toEqual(['the registry', undefined]);
    const early: Component = { name: 'early', roles: ['all'], start: ({ use }) => void use('backend') };
    await expect(runComponents([early], base())).rejects.toThrow('no component before this one provides backend');
  });
});
