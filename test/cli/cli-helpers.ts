import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Worker } from 'bullmq';
import type { Config } from '../../src/config/config.js';
import type { EventOf } from '../../src/events/catalog.js';
import { createHandlerRegistry } from '../../src/handlers/registry.js';
import type { JobQueue } from '../../src/queue/backend.js';
import { createEventQueue, type EventQueue } from '../../src/queue/event-queue.js';
import { createEventWorker } from '../../src/queue/event-worker.js';
import { runCli, type CliDeps, type OpenedQueue, type Output } from '../../src/cli/program.js';
import type { TestBackend } from '../helpers/backends.js';
import { testConfig } from '../helpers/test-config.js';
import { atMost } from '../helpers/wait-for.js';

const ROOT = new URL('../..', import.meta.url).pathname;

/** The real entry point, `npx tsx src/cli/main.ts`, as an operator runs it, with only the environment given. */
export function runCliProcess(args: string[], env: Record<string, string>) {
  const child = spawn('npx', ['tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    // Only what the test names: no REDIS_URL or DATABASE_URL from the developer's shell.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr })),
  );
}

const silent = pino({ level: 'silent' });

export function event(id: string, subjectId = '4211111111'): EventOf {
  const now = new Date().toISOString();
  return {
    id,
    provider: 'kakao',
    type: 'kakao.user-unlinked',
    sourceType: 'uri',
    subject: { id: subjectId },
    occurredAt: now,
    receivedAt: now,
    data: { reason: 'test' },
  } as EventOf;
}

/** A stream that keeps what is written; `isTTY` as a terminal would set it. */
export function captureStream(isTTY = false): { stream: Output; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  }) as Output;
  stream.isTTY = isTTY;
  return { stream, text: () => text };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  stdinIsTTY?: boolean;
  stdoutIsTTY?: boolean;
  confirm?: (question: string) => Promise<boolean>;
  openQueue?: () => Promise<OpenedQueue>;
}

/**
 * One queue (its own name) in a test store, a real worker whose handler the test controls, and
 * the CLI run in-process against that queue.
 */
export interface CliFixture {
  config: Config;
  queue: EventQueue;
  inspect: JobQueue;
  /** Every event the handler received, in order (failed runs included), and the attempt number of each. */
  calls: EventOf[];
  attempts: number[];
  /** What the handler does; throws PermanentError by default. */
  handler: { run: (event: EventOf) => void };
  /** How many times the CLI opened the store, and how many of those it closed. */
  opens: { opened: number; closed: number };
  cli(argv: string[], options?: CliOptions): Promise<CliRun>;
  startWorker(concurrency?: number): void;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

export function cliFixture(store: TestBackend, env: Record<string, string> = {}): CliFixture {
  const config = testConfig({ ...store.env, ...env });
  const queue = createEventQueue({ backend: store.backend, ...config.queue });
  const inspect = store.backend.createQueue(config.queue.name, {});
  inspect.on('error', () => {});
  const calls: EventOf[] = [];
  const attempts: number[] = [];
  const handler: CliFixture['handler'] = { run: () => {} };
  const opens = { opened: 0, closed: 0 };
  let worker: Worker | undefined;

  // One queue for every run of the CLI in this fixture, closed with it: BullMQ 6.7 leaves an
  // 'error' listener on a shared PostgreSQL pool for every queue ever created on it.
  let cliQueue: JobQueue | undefined;
  const openQueue = async (): Promise<OpenedQueue> => {
    if (!cliQueue) {
      cliQueue = store.backend.createQueue(config.queue.name, {});
      cliQueue.on('error', () => {});
    }
    opens.opened += 1;
    return {
      queue: cliQueue,
      description: store.backend.description,
      async close() {
        opens.closed += 1;
      },
    };
  };

  return {
    config,
    queue,
    inspect,
    calls,
    attempts,
    handler,
    opens,
    async cli(argv, options = {}) {
      const stdout = captureStream(options.stdoutIsTTY ?? false);
      const stderr = captureStream(false);
      const deps: CliDeps = {
        openQueue: options.openQueue ?? openQueue,
        stdout: stdout.stream,
        stderr: stderr.stream,
        stdinIsTTY: options.stdinIsTTY ?? false,
        confirm: options.confirm ?? (async () => {
          throw new Error('confirm() must not be called');
        }),
      };
      const code = await runCli(argv, deps);
      return { code, stdout: stdout.text(), stderr: stderr.text() };
    },
    startWorker(concurrency = 4) {
      const registry = createHandlerRegistry();
      registry.on('kakao.user-unlinked', (received, { attempt }) => {
        calls.push(received);
        attempts.push(attempt);
        handler.run(received);
      });
      worker = createEventWorker({ backend: store.backend, name: config.queue.name, registry, log: silent, concurrency }) as unknown as Worker;
      void worker.run();
    },
    async stopWorker() {
      await worker?.close();
      worker = undefined;
    },
    async close() {
      await atMost(worker?.close() ?? Promise.resolve(), 5000);
      await atMost(queue.close());
      await atMost(inspect.obliterate({ force: true }), 10_000);
      await atMost(inspect.close());
      await atMost(cliQueue?.close() ?? Promise.resolve());
    },
  };
}
