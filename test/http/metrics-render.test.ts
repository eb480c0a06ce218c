import { describe, expect, it } from 'vitest';
import type { Registry } from 'prom-client';
import { createMetricsRenderer } from '../../src/http/metrics-render.js';

/** A registry that counts its renders and renders slowly enough for scrapes to overlap. */
function countingRegistry() {
  let renders = 0;
  const registry = { metrics: () => new Promise<string>((resolve) => setTimeout(() => resolve(`render ${(renders += 1)}`), 20)) } as unknown as Registry;
  return { registry, renders: () => renders };
}

describe('the /metrics renderer', () => {
  it('renders once for scrapes that overlap or come within maxAgeMs, then again', async () => {
    const { registry, renders } = countingRegistry();
    const render = createMetricsRenderer(registry, 200);
    const texts = await Promise.all(Array.from({ length: 500 }, () => render()));
    expect(new Set(texts)).toEqual(new Set(['render 1']));
    expect(await render()).toBe('render 1'); // still within 200 ms
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await render()).toBe('render 2');
    expect(renders()).toBe(2);
  });

  it('with maxAgeMs 0, shares only a render under way', async () => {
    const { registry, renders } = countingRegistry();
    const render = createMetricsRenderer(registry, 0);
    await Promise.all([render(), render()]);
    await render();
    expect(renders()).toBe(2);
  });
});
