import { Command, CommanderError, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import { ConfigError } from '../config/config.js';
import { StartupError } from '../errors.js';
import type { JobQueue } from '../queue/backend.js';
import { DevSecretsError } from '../dev/secrets.js';
import { DURATION_HINT, parseDuration } from './duration.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './exit-codes.js';
import { failedJobs, JobNotFailedError, JobNotFoundError, type FailedJobDetail, type FailedJobSummary, type RetryAllProgress } from './failed-jobs.js';
import { registerSendCommand } from './send/send-command.js';
import { SendError } from './send/send-error.js';

/**
 * The command line: `npm run cli -- failed list|show|retry|purge` and `send`. A factory over
 * injected dependencies, so tests run it in-process against a real store; src/cli/main.ts wires
 * the real ones. Exit codes: 0 done, 1 failure (unknown job, store unreachable, declined, a test
 * event refused or unanswered), 2 bad usage.
 */

export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE };

export interface OpenedQueue {
  queue: JobQueue;
  /** The store, for error messages; never holds a password. */
  description: string;
  /** Closes the queue and the store. */
  close(): Promise<void>;
}

export type Output = NodeJS.WritableStream & { isTTY?: boolean };

export interface CliDeps {
  /**
   * Opened only by commands that need the store, so `--help` and usage errors never touch it.
   * With `target`, the queue of that forwarding target's deliveries instead of the event queue.
   */
  openQueue(target?: string): Promise<OpenedQueue>;
  stdout: Output;
  stderr: Output;
  /** Whether a person can answer a question (stdin is a terminal). */
  stdinIsTTY: boolean;
  /** Asks a yes/no question; true for yes. */
  confirm(question: string): Promise<boolean>;
  /**
   * The environment, for `send` (DATA_DIR, PORT, the configured keys), which parses its own part
   * of it; the store commands get theirs through openQueue. Empty when not given.
   */
  env?: Readonly<Record<string, string | undefined>>;
}

/** A failure to report with its exit code (1 unless said otherwise), without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

const DEFAULT_LIMIT = 50;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

function duration(value: string): number {
  try {
    return parseDuration(value);
  } catch {
    throw new InvalidArgumentError(`expected ${DURATION_HINT}`);
  }
}

export function createProgram(deps: CliDeps): Command {
  const out = (text: string) => void deps.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  const err = (text: string) => void deps.stderr.write(text.endsWith('\n') ? text : `${text}\n`);

  /** Runs `work` on the opened store, closes it whatever happens, and names the store in its errors. */
  async function withQueue(work: (ops: ReturnType<typeof failedJobs>, opened: OpenedQueue) => Promise<void>): Promise<void> {
    const opened = await deps.openQueue(target());
    try {
      await work(failedJobs(opened.queue), opened);
    } catch (error) {
      if (error instanceof CliError || error instanceof JobNotFoundError || error instanceof JobNotFailedError || error instanceof CommanderError) throw error;
      throw new CliError(`${opened.description}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await opened.close();
    }
  }

  const program = new Command('cli')
    .description('Operate the webhook receiver from the command line. Reads the same environment as the service (REDIS_URL, DATABASE_URL or DATA_DIR, QUEUE_NAME).')
    .exitOverride()
    .configureOutput({ writeOut: (text) => void deps.stdout.write(text), writeErr: (text) => void deps.stderr.write(text) })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', '\nExit codes: 0 done, 1 failure (unknown job, store unreachable, send refused or unanswered), 2 bad usage.');

  const failed = program
    .command('failed')
    .description('inspect, retry and purge failed jobs (dead letters), kept FAILED_JOB_RETENTION_SECONDS')
    .option('--target <name>', "the failed deliveries to this forwarding target (FORWARD_TARGETS' name; default for FORWARD_URL) instead of the failed events");
  /** The forwarding target the command is about; undefined: the event queue. */
  const target = () => failed.opts<{ target?: string }>().target;
  /** What a retried job does next, as the operator should read it. */
  const rerun = () => (target() ? `the delivery to ${target()} is POSTed again` : 'a worker will run its handlers');

  failed
    .command('list')
    .description('list failed jobs, newest failure first')
    .option('--json', 'print a JSON array')
    .option('--limit <n>', 'show at most n jobs', positiveInt, DEFAULT_LIMIT)
    .action(async (options: { json?: boolean; limit: number }) => {
      await withQueue(async (ops, opened) => {
        const [jobs, total] = await Promise.all([ops.list(options.limit), ops.count()]);
        if (options.json) return out(JSON.stringify(jobs, null, 2));
        if (jobs.length === 0) return out(`no failed jobs in queue ${opened.queue.name}`);
        out(table(jobs));
        if (total > jobs.length) err(`showing the newest ${jobs.length} of ${total} failed jobs; --limit <n> shows more`);
      });
    });

  failed
    .command('show')
    .description('show one failed job: its event, attempts, failure reason, stack trace and times')
    .argument('<id>', 'job id (the event id)')
    .option('--json', 'print the job as JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      await withQueue(async (ops) => {
        const job = await ops.show(id);
        out(options.json ? JSON.stringify(job, null, 2) : describeJob(job));
      });
    });

  failed
    .command('retry')
    .description('move failed jobs back to waiting: a worker runs their handlers again on the stored, already verified event (with --target, delivers it again)')
    .argument('[id]', 'job id (the event id)')
    .option('--all', 'retry every failed job')
    .addHelpText('after', '\nA retried job starts over with JOB_ATTEMPTS attempts. Nothing is verified again: the job holds the event as it was accepted.')
    .action(async (id: string | undefined, options: { all?: boolean }, command: Command) => {
      if (id !== undefined && options.all) command.error('error: give a job id or --all, not both', { exitCode: EXIT_USAGE, code: 'cli.usage' });
      if (id === undefined && !options.all) command.error('error: give a job id, or --all to retry every failed job', { exitCode: EXIT_USAGE, code: 'cli.usage' });
      await withQueue(async (ops) => {
        if (id !== undefined) {
          await ops.retry(id);
          return out(`job ${id} is waiting again; ${rerun()}`);
        }
        const report = progressReporter(deps.stdout, out);
        let result;
        try {
          result = await ops.retryAll(report.update);
        } finally {
          report.stop();
        }
        if (result.total === 0) return out('no failed jobs to retry');
        out(`${result.retried} of ${result.total} failed jobs are waiting again`);
        if (result.skipped > 0) err(`${result.skipped} skipped: removed or no longer failed by the time their turn came`);
      });
    });

  failed
    .command('purge')
    .description('remove failed jobs that failed longer ago than a duration')
    .requiredOption('--older-than <duration>', `remove jobs that failed before this long ago: ${DURATION_HINT}`, duration)
    .option('-y, --yes', 'do not ask for confirmation (required when stdin is not a terminal)')
    .action(async (options: { olderThan: number; yes?: boolean }, command: Command) => {
      if (!options.yes && !deps.stdinIsTTY) {
        command.error('error: refusing to purge without --yes: stdin is not a terminal, so nobody can confirm', { exitCode: EXIT_USAGE, code: 'cli.usage' });
      }
      await withQueue(async (ops) => {
        const cutoff = Date.now() - options.olderThan;
        const before = new Date(cutoff).toISOString();
        if (!options.yes) {
          const count = await ops.countFailedBefore(cutoff);
          if (count === 0) return out(`removed 0 failed jobs: none failed before ${before}`);
          if (!(await deps.confirm(`Remove ${count} failed job${count === 1 ? '' : 's'} that failed before ${before}? [y/N] `))) {
            throw new CliError('nothing removed');
          }
        }
        const removed = await ops.purge(cutoff);
        out(`removed ${removed} failed job${removed === 1 ? '' : 's'} that failed before ${before}`);
      });
    });

  registerSendCommand(program, { env: deps.env ?? {}, out });

  return program;
}

/** Parses and runs `argv` (the arguments after the script), and returns the exit code. */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  const program = createProgram(deps);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has printed the message or the help already.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT_OK;
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    const known =
      error instanceof CliError ||
      error instanceof JobNotFoundError ||
      error instanceof JobNotFailedError ||
      error instanceof ConfigError ||
      error instanceof StartupError || // e.g. the embedded store's data directory is locked
      error instanceof SendError ||
      error instanceof DevSecretsError;
    const message = error instanceof Error ? (known ? error.message : (error.stack ?? error.message)) : String(error);
    deps.stderr.write(`error: ${message}\n`);
    return error instanceof CliError || error instanceof SendError ? error.exitCode : EXIT_FAILURE;
  }
}

/** A bar on a terminal; plain `retried n/total` lines otherwise (logs, pipes, CI). */
function progressReporter(stdout: Output, out: (text: string) => void) {
  if (stdout.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream: stdout, format: 'retrying |{bar}| {value}/{total} jobs', hideCursor: true, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(progress: RetryAllProgress) {
        if (!started) bar.start(progress.total, 0);
        started = true;
        bar.update(progress.done);
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  return {
    update(progress: RetryAllProgress) {
      out(`retried ${progress.retried}/${progress.total}${progress.skipped > 0 ? ` (${progress.skipped} skipped)` : ''}`);
    },
    stop() {},
  };
}

function oneLine(text: string, max = 100): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function table(jobs: FailedJobSummary[]): string {
  const rows = [
    ['ID', 'TYPE', 'SUBJECT', 'ATTEMPTS', 'FAILED AT', 'REASON'],
    ...jobs.map((job) => [job.id, job.type, job.subjectId ?? '-', String(job.attemptsMade), job.failedAt ?? '-', oneLine(job.failedReason)]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')).join('\n');
}

function describeJob(job: FailedJobDetail): string {
  const indent = (text: string) => text.split('\n').map((line) => `  ${line}`).join('\n');
  return [
    `id          ${job.id}`,
    `type        ${job.type}`,
    `state       ${job.state}`,
    `subject     ${job.subjectId === null ? '-' : `${job.provider ?? ''} ${job.subjectId}`.trim()}`,
    `attempts    ${job.attemptsMade} of ${job.maxAttempts}`,
    `queued at   ${job.timestamps.createdAt ?? '-'}`,
    `started at  ${job.timestamps.processedAt ?? '-'}`,
    `failed at   ${job.timestamps.failedAt ?? '-'}`,
    `reason      ${job.failedReason.split('\n').join('\n            ')}`,
    'stack trace',
    job.stacktrace.length > 0 ? indent(job.stacktrace.join('\n')) : '  -',
    'event',
    indent(JSON.stringify(job.event, null, 2)),
  ].join('\n');
}
