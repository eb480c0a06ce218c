import { describe, expect, it } from 'vitest';
import { runCli, type CliDeps } from '../../src/cli/program.js';
import { captureStream } from './cli-helpers.js';

/** Usage and help need no store: they are answered before one is opened. */
async function cli(argv: string[]) {
  const stdout = captureStream();
  const stderr = captureStream();
  let opened = 0;
  const deps: CliDeps = {
    openQueue: async () => {
      opened += 1;
      throw new Error('the store must not be opened');
    },
    stdout: stdout.stream,
    stderr: stderr.stream,
    stdinIsTTY: false,
    confirm: async () => false,
  };
  const code = await runCli(argv, deps);
  return { code, stdout: stdout.text(), stderr: stderr.text(), opened };
}

describe('the CLI program', () => {
  it.each([
    [[], 'Usage: cli [options] [command]'],
    [['failed'], 'Usage: cli failed [options] [command]'],
    [['failed', 'list'], 'Usage: cli failed list [options]'],
    [['failed', 'show'], 'Usage: cli failed show [options] <id>'],
    [['failed', 'retry'], 'Usage: cli failed retry [options] [id]'],
    [['failed', 'purge'], 'Usage: cli failed purge [options]'],
  ])('%j --help prints its usage on stdout and exits 0', async (command, usage) => {
    for (const flag of ['--help', '-h']) {
      const run = await cli([...command, flag]);
      expect(run.code).toBe(0);
      expect(run.stdout.startsWith(usage)).toBe(true);
      expect(run.stderr).toBe('');
      expect(run.opened).toBe(0);
    }
  });

  it('help <command> works too', async () => {
    const run = await cli(['help', 'failed']);
    expect(run).toMatchObject({ code: 0, opened: 0 });
    expect(run.stdout).toContain('Usage: cli failed [options] [command]');
  });

  it('lists the subcommands and the exit codes in the help', async () => {
    const failed = (await cli(['failed', '--help'])).stdout;
    for (const name of ['list', 'show', 'retry', 'purge']) expect(failed).toMatch(new RegExp(`^  ${name} `, 'm'));
    expect((await cli(['--help'])).stdout).toContain('Exit codes: 0 done, 1 failure (unknown job, store unreachable, send refused or unanswered), 2 bad usage.');
    const list = (await cli(['failed', 'list', '--help'])).stdout;
    expect(list).toContain('--json');
    expect(list).toContain('--limit <n>');
    const purge = (await cli(['failed', 'purge', '--help'])).stdout;
    expect(purge).toContain('--older-than <duration>');
    expect(purge).toContain('-y, --yes');
  });

  it.each([
    [[], 'Usage: cli [options] [command]'],
    [['failed'], 'Usage: cli failed [options] [command]'],
    [['nope'], "error: unknown command 'nope'"],
    [['failed', 'nope'], "error: unknown command 'nope'"],
    [['failed', 'list', '--nope'], "error: unknown option '--nope'"],
    [['failed', 'list', 'extra'], 'error: too many arguments'],
    [['failed', 'show'], "error: missing required argument 'id'"],
    [['failed', 'list', '--limit', 'x'], "error: option '--limit <n>' argument 'x' is invalid"],
    [['failed', 'purge', '--older-than', '3 days', '--yes'], "error: option '--older-than <duration>' argument '3 days' is invalid"],
    [['failed', 'purge', '--yes'], "error: required option '--older-than <duration>' not specified"],
  ])('%j is bad usage: exit 2, the reason on stderr, nothing on stdout', async (argv, message) => {
    const run = await cli(argv);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
    expect(run.opened).toBe(0);
  });

  it('a failure to open the store is exit 1', async () => {
    const run = await cli(['failed', 'list']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error: Error: the store must not be opened');
    expect(run.opened).toBe(1);
  });
});
