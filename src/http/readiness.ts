import type { ReadinessCheck } from '../composition/component.js';
import { within } from '../timeout.js';

/** A check that throws or takes longer than the budget counts as failing, so /readyz answers within about a second whatever hangs. */
export type { ReadinessCheck };

export interface Readiness {
  ready: boolean;
  /** Every check by name: `ok` or `failing`. */
  checks: Record<string, 'ok' | 'failing'>;
  failing: string[];
}

export async function evaluateReadiness(checks: readonly ReadinessCheck[], budgetMs = 1000): Promise<Readiness> {
  const results = await Promise.all(checks.map(async ({ name, check }) => [name, await passes(check, budgetMs)] as const));
  const failing = results.filter(([, ok]) => !ok).map(([name]) => name);
  return { ready: failing.length === 0, checks: Object.fromEntries(results.map(([name, ok]) => [name, ok ? 'ok' : 'failing'])), failing };
}

function passes(check: ReadinessCheck['check'], budgetMs: number): Promise<boolean> {
  return within(budgetMs, Promise.resolve().then(check).catch(() => false), () => false);
}
