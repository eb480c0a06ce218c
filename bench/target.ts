/**
 * A bench target in a process of its own, so that the load generator (autocannon, in the bench's
 * process) does not share the target's event loop; on a 2-core machine each gets a core, as a
 * sender on another host would leave it.
 *
 *   tsx bench/target.ts floor             the bare and floor routes (bench/floor.ts); needs BENCH_JWK,
 *                                         and REDIS_URL + QUEUE_NAME for /floor-enqueue; with
 *                                         BENCH_FLOOR_WORKER set, a BullMQ worker on that queue in
 *                                         the same process whose processor does nothing
 *   tsx bench/target.ts service <role>    startService(loadConfig(process.env)), as npm start does
 *
 * Prints one JSON line `{"url": ...}` on stderr once it listens (stdout carries the service's logs), and stops on SIGTERM. With BENCH_HANDLED_LOG
 * set, the service also records when each event's handlers are done (for end-to-end latency): on
 * SIGTERM it writes `{ handled: [eventId, epochMs][], stalls }` to that file, `stalls` being the
 * event loop's delays and the garbage collections seen meanwhile.
 */
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { loadConfig } from '../src/config/config.js';
import { registerHandlers } from '../src/handlers/index.js';
import { createLogger } from '../src/logger.js';
import { lockTuning } from '../src/queue/backend.js';
import { createBackend } from '../src/queue/create-backend.js';
import { createEventQueue } from '../src/queue/event-queue.js';
import { startService, type Role } from '../src/service.js';
import { startFloorApp } from './floor.js';

const [mode, role = 'receiver'] = process.argv.slice(2);
const handled = new Map<string, number>();
let stop: () => Promise<void>;

if (mode === 'floor') {
  // With a store configured, /floor-enqueue stores through the receiver's EventQueue, as configured.
  const config = process.env.REDIS_URL ? loadConfig(process.env) : undefined;
  const backend = config ? await createBackend(config.store, createLogger('silent')) : undefined;
  const queue = config && backend ? createEventQueue({ backend, ...config.queue }) : undefined;
  const floor = await startFloorApp(JSON.parse(process.env.BENCH_JWK!), queue, config?.logto?.signingKeys[0]);
  // The ceiling an in-process BullMQ worker sets: it takes, locks and completes each job as the
  // service's worker does (same backend, concurrency and lock settings), and runs no handler.
  const worker = config && backend && process.env.BENCH_FLOOR_WORKER
    ? backend.createWorker(config.queue.name, async () => {}, { concurrency: config.queue.concurrency, ...lockTuning(config.queue.lockDurationMs) })
    : undefined;
  void worker?.run();
  stop = async () => {
    await worker?.close();
    await floor.close();
    await queue?.close();
    await backend?.close();
  };
  console.error(JSON.stringify({ url: floor.url }));
} else if (mode === 'service') {
  const config = loadConfig(process.env);
  const handledLog = process.env.BENCH_HANDLED_LOG;
  const stalls = handledLog ? watchStalls() : undefined;
  const service = await startService(config, {
    role: role as Role,
    // npm start's logger, to stdout; the bench sends the child's stdout to /dev/null, so the cost
    // of logging is counted as a deployment would pay it.
    logger: createLogger(config.logLevel),
    registerHandlers: (registry) => {
      registerHandlers(registry);
      if (handledLog) registry.onAny((event) => void handled.set(event.id, Date.now()));
    },
  });
  stop = async () => {
    await service.close();
    if (handledLog) writeFileSync(handledLog, JSON.stringify({ handled: [...handled], stalls: stalls!() }));
  };
  const { port } = service.app.server.address() as { port: number };
  console.error(JSON.stringify({ url: `http://127.0.0.1:${port}` }));
} else {
  throw new Error(`unknown mode ${mode}`);
}

process.once('SIGTERM', () => void stop().finally(() => process.exit(0)));

/**
 * What could stall the process while it runs, for the bench to name the cause of a slow request:
 * the event loop's longest delays (perf_hooks, 1 ms resolution) and every garbage collection of
 * 5 ms or more, each with its epoch time, and the total of all pauses.
 */
function watchStalls() {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  let gcs: { at: number; ms: number; kind: number }[] = [];
  let gcCount = 0;
  let gcTotalMs = 0;
  let eluStart = performance.eventLoopUtilization();
  // The bench sends SIGUSR2 when its measured window starts: start-up and warm-up do not count.
  process.on('SIGUSR2', () => {
    loop.reset();
    gcs = [];
    gcCount = 0;
    gcTotalMs = 0;
    eluStart = performance.eventLoopUtilization();
  });
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcCount += 1;
      gcTotalMs += entry.duration;
      if (entry.duration >= 5) gcs.push({ at: Math.round(performance.timeOrigin + entry.startTime), ms: Number(entry.duration.toFixed(1)), kind: (entry as unknown as { detail: { kind: number } }).detail.kind });
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => {
    loop.disable();
    observer.disconnect();
    // The share of the window the event loop was busy: how close the main thread ran to saturation.
    const busy = performance.eventLoopUtilization(eluStart).utilization;
    return { eventLoopBusy: Number(busy.toFixed(2)), loopDelayMaxMs: Number((loop.max / 1e6).toFixed(1)), loopDelayP99Ms: Number((loop.percentile(99) / 1e6).toFixed(1)), gcCount, gcTotalMs: Number(gcTotalMs.toFixed(1)), gcPausesOver5Ms: gcs };
  };
}
