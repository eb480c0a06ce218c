import { describe, expect, it } from 'vitest';
import { EVENT_NAMES } from '../../src/events/catalog.js';
import { PROVIDERS } from '../../src/providers/index.js';
import { SHUTDOWN_ORDER } from '../../src/service.js';

describe('the providers table (src/providers/index.ts)', () => {
  it('has one entry per provider that has event types, and nothing else', () => {
    const withEvents = new Set([...EVENT_NAMES].map((name) => name.split('.')[0]));
    expect(PROVIDERS.map((provider) => provider.name).sort()).toEqual([...withEvents].sort());
  });

  it('gives every provider component a unique name, each with its place in the shutdown order', () => {
    const names = PROVIDERS.flatMap((provider) => [...(provider.early ?? []), ...provider.receivers]).map(({ name }) => name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(SHUTDOWN_ORDER.flat()).toContain(name);
  });
});
