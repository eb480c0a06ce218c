import type { Config } from '../../src/config/config.js';
import type { EventOf } from '../../src/events/catalog.js';
import { forwardQueueName } from '../../src/forwarding/queues.js';
import type { HandlerRegistry } from '../../src/handlers/registry.js';
import type { JobQueue, QueueBackend } from '../../src/queue/backend.js';
import { startService, type Role, type Service } from '../../src/service.js';
import { captureLogs } from './receiver.js';
import { atMost } from './wait-for.js';

/** The whole service on a real port, with handlers that record what they receive. */
export interface RunningService {
  service: Service;
  baseUrl: string;
  received: EventOf[];
  inspect: JobQueue;
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

export async function runService(
  config: Config,
  options: { role?: Role; register?: (registry: HandlerRegistry, received: EventOf[]) => void; backend?: QueueBackend } = {},
): Promise<RunningService> {
  const received: EventOf[] = [];
  const { lines, logger } = captureLogs();
  const service = await startService(config, {
    role: options.role ?? 'all',
    logger,
    ...(options.backend ? { backend: options.backend } : {}),
    registerHandlers: (registry) => {
      if (options.register) options.register(registry, received);
      else registry.onAny((event) => void received.push(event));
    },
  });
  const address = service.app.server.address() as { port: number };
  const inspect = service.backend.createQueue(config.queue.name, {});
  inspect.on('error', () => {});
  inspect.on('error', () => {});
  return {
    service,
    baseUrl: `http://127.0.0.1:${address.port}`,
    received,
    inspect,
    logs: lines,
    async close() {
      await atMost(inspect.obliterate({ force: true }));
      await atMost(inspect.close());
      await service.close();
      // Each forwarding target's queue too: refused deliveries are kept FAILED_JOB_RETENTION_SECONDS.
      for (const target of config.forwarding?.targets ?? []) {
        const queue = service.backend.createQueue(forwardQueueName(config.queue.name, target.name), {});
        queue.on('error', () => {});
        await atMost(queue.obliterate({ force: true }));
        await atMost(queue.close());
      }
    },
  };
}

export function postSetOverHttp(baseUrl: string, token: string) {
  return fetch(`${baseUrl}/webhooks/kakao/account-status`, {
    method: 'POST',
    headers: { 'content-type': 'application/secevent+jwt', accept: 'application/json' },
    body: token,
  });
}
