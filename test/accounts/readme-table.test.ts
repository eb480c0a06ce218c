import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EVENT_ACTIONS, type ActionRow } from '../../src/accounts/event-actions.js';

/** README.md's event -> action table says what the code does, for every event name. */
describe('README account-state table', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('### What each event does'), readme.indexOf('### The API'));
  const rows = section.split('\n').filter((line) => line.startsWith('| `'));

  const rowOf = (name: string) =>
    rows.find((row) =>
      [...row.split('|')[1]!.matchAll(/`([^`]+)`/g)].some(([, cell]) => cell === name || (cell!.endsWith('.*') && name.startsWith(cell!.slice(0, -1)))),
    );

  it.each(Object.entries(EVENT_ACTIONS) as [string, ActionRow][])('documents %s', (name, action) => {
    const row = rowOf(name);
    expect(row, `no README row names ${name}`).toBeDefined();
    const effect = row!.split('|')[2]!;
    for (const word of ['revoke', 'purge', 'none', 'record', 'profile', 'consent', 'channel'] as const) {
      if (action.effects.includes(word)) expect(effect, `${name}: ${word}`).toContain(word);
    }
    if (action.status && action.status !== 'payload') expect(effect).toContain(`\`${action.status}\``);
  });
});
