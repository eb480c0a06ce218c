import type { Registry } from 'prom-client';

/**
 * Renders the registry at most once per `maxAgeMs` and shares the result: every scrape while a
 * render is under way, and every scrape within `maxAgeMs` of its end, gets the same text. A flood
 * of requests for /metrics then costs one render a second, not one render (and one copy of the
 * text) each.
 */
export function createMetricsRenderer(registry: Registry, maxAgeMs = 1000): () => Promise<string> {
  let current: Promise<string> | undefined;
  let renderedAt = -Infinity;
  let rendering = false;
  return () => {
    if (current && (rendering || Date.now() - renderedAt < maxAgeMs)) return current;
    rendering = true;
    const text = registry.metrics();
    current = text;
    text.then(
      () => {
        if (current === text) ((renderedAt = Date.now()), (rendering = false));
      },
      () => {
        // A failed render is not kept: the next scrape tries again.
        if (current === text) ((current = undefined), (rendering = false));
      },
    );
    return text;
  };
}
