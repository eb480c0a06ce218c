/**
 * A bench target in a process of its own, so that the load generator (autocannon, in the bench's
 * process) does not share the target's event loop; on a 2-core machine each gets a core, as a
 * sender on another host would leave it.
 *
 *   tsx bench/target.ts floor             the bare and floor routes (bench/floor.ts); needs BENCH_JWK,
 *                                         and REDIS_URL + QUEUE_NAME for /floor-enqueue
 *   tsx bench/target.ts service <role>    startService(loadConfig(process.env)), as npm start does
 *
 * Prints one JSON line `{"url": ...}` on stderr once it listens (stdout carries the service's logs), and stops on SIGTERM. With BENCH_HANDLED_LOG
 * set, the service also records when each event's handlers are done (for end-to-end latency): on
 * SIGTERM it writes `[eventId, epochMs][]` to that file.
 */
import { writeFileSync } from 'node:fs';
import { loadConfig } from '../src/config/config.js';
import { registerHandlers } from '../src/handlers/index.js';
import { createLogger } from '../src/logger.js';
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
  stop = async () => {
    await floor.close();
    await queue?.close();
    await backend?.close();
  };
  console.error(JSON.stringify({ url: floor.url }));
} else if (mode === 'service') {
  const config = loadConfig(process.env);
  const handledLog = process.env.BENCH_HANDLED_LOG;
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
    if (handledLog) writeFileSync(handledLog, JSON.stringify([...handled]));
  };
  const { port } = service.app.server.address() as { port: number };
  console.error(JSON.stringify({ url: `http://127.0.0.1:${port}` }));
} else {
  throw new Error(`unknown mode ${mode}`);
}

process.once('SIGTERM', () => void stop().finally(() => process.exit(0)));
