import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layers of src/, bottom first (ARCHITECTURE.md draws them). A file belongs to the layer of
 * the most specific pattern that matches its path (one without `**` before one with, then the one
 * with the most characters besides `*`); `*` is one path segment, `**` any number. A file may import from its own layer and the
 * ones below it, never from a layer above. A new file no pattern places fails the first test.
 */
export const LAYERS: readonly (readonly [layer: string, patterns: readonly string[]])[] = [
  ['foundation', ['src/errors.ts', 'src/timeout.ts', 'src/logger.ts', 'src/error-response.ts', 'src/secret-match.ts', 'src/error-episode.ts', 'src/request-outcome.ts', 'src/config/env-helpers.ts']],
  [
    'model',
    [
      'src/events/**',
      'src/providers/kakao/account-status-events.ts',
      'src/providers/kakao/admin-webhook-events.ts',
      'src/providers/logto/events.ts',
      'src/config/config.ts',
      'src/*/config.ts',
      'src/queue/redis/config.ts',
      'src/forwarding/event-filter.ts',
      'src/handlers/registry.ts',
      'src/handlers/types.ts',
      'src/handlers/define-handlers.ts',
      'src/accounts/model.ts',
      'src/accounts/merge.ts',
      'src/metrics.ts',
    ],
  ],
  ['store', ['src/queue/*.ts', 'src/queue/backends/**', 'src/queue/redis/**', 'src/accounts/store.ts', 'src/accounts/stores/**']],
  ['composition', ['src/composition/**']],
  ['features', ['src/accounts/**', 'src/providers/**', 'src/forwarding/**', 'src/handlers/**', 'src/admin/**', 'src/observability/**', 'src/queue/components.ts']],
  ['http', ['src/http/**']],
  ['service', ['src/service.ts', 'src/main.ts', 'src/index.ts', 'src/start-receiver.ts', 'src/dev/**', 'src/cli/**']],
];

/**
 * Imports allowed to run upward, each with the reason. Keep it empty if you can: move the shared
 * piece down instead.
 */
const ALLOWED_UPWARD: readonly string[] = [];

const root = join(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const patternToRegExp = (pattern: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\u0000').replace(/\*/g, '[^/]*').replace(/\u0000/g, '.*')}$`);
const rules = LAYERS.flatMap(([layer, patterns], rank) =>
  patterns.map((pattern) => ({ layer, rank, test: patternToRegExp(pattern), specificity: (pattern.includes('**') ? 0 : 1000) + pattern.replace(/\*/g, '').length })),
).sort((a, b) => b.specificity - a.specificity);

export function layerOf(file: string): { layer: string; rank: number } | undefined {
  return rules.find((rule) => rule.test.test(file));
}

/** The relative modules a file imports: `import … from`, `export … from`, `import()`, type-only ones included. */
export function importsOf(source: string): string[] {
  const found = [...source.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]/gm), ...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)];
  return found.map((match) => match[1]!).filter((spec) => spec.startsWith('.'));
}

function upwardImports(): string[] {
  const upward: string[] = [];
  for (const file of sourceFiles('src')) {
    const from = layerOf(file)!;
    for (const spec of importsOf(readFileSync(join(root, file), 'utf8'))) {
      const target = relative(root, normalize(join(root, dirname(file), spec))).replace(/\.js$/, '.ts');
      const to = layerOf(target);
      if (to && to.rank > from.rank) upward.push(`${file} (${from.layer}) -> ${target} (${to.layer})`);
    }
  }
  return upward;
}

describe('layers', () => {
  it('place every source file', () => {
    expect(sourceFiles('src').filter((file) => !layerOf(file))).toEqual([]);
  });

  it('are never imported upward', () => {
    expect(upwardImports().filter((edge) => !ALLOWED_UPWARD.includes(edge))).toEqual([]);
  });

  it('the parser sees multi-line, type-only, re-exported and dynamic imports', () => {
    const source = "import {\n  a,\n  b,\n} from './a.js';\nimport type { C } from '../c.js';\nexport { d } from './d.js';\nconst e = await import('./e.js');\nimport { f } from 'fastify';\n";
    expect(importsOf(source).sort()).toEqual(['../c.js', './a.js', './d.js', './e.js']);
  });
});
