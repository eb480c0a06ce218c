import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ServerResponse } from 'node:http';
import { unavailable } from '../../errors.js';
import type { AccountChange } from '../model.js';
import type { AccountStateStore } from '../store.js';

export const CHANGES_PATH = '/v1/accounts/changes';
const HEARTBEAT_MS = 15_000;

/**
 * GET /v1/accounts/changes: the change feed as Server-Sent Events, on every store.
 * - first `event: ready` once the subscription is live: a change stored after it is delivered;
 * - then `event: change`, `id: <event id>`, `data: <AccountChange JSON>` per applied change;
 * - a `: ping` comment every 15 s keeps proxies from closing an idle stream.
 * When the store's own feed drops (Redis or PostgreSQL connection lost), the stream ends: a
 * client must then reconnect and treat what it cached as stale.
 */
export async function changeStreamRoute(app: FastifyInstance, options: { store: AccountStateStore; retryAfterSeconds: number }) {
  const open = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const response of open) response.end();
  });

  app.get(CHANGES_PATH, async (request, reply: FastifyReply) => {
    const pending: AccountChange[] = [];
    let response: ServerResponse | undefined;
    const send = (change: AccountChange) => response!.write(`event: change\nid: ${change.eventId}\ndata: ${JSON.stringify(change)}\n\n`);
    let unsubscribe: () => void;
    try {
      unsubscribe = await options.store.changes.subscribe({
        onChange: (change) => (response ? send(change) : pending.push(change)),
        onInterrupt: () => response?.end(),
      });
    } catch (error) {
      throw unavailable('ERR_STORE_UNAVAILABLE', 'the change feed is unavailable', options.retryAfterSeconds, error);
    }

    reply.hijack();
    response = reply.raw;
    open.add(response);
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no', // nginx: do not buffer the stream
    });
    response.write('retry: 1000\n\nevent: ready\ndata: {}\n\n');
    for (const change of pending.splice(0)) send(change);
    const heartbeat = setInterval(() => response!.write(': ping\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    const cleanup = () => {
      clearInterval(heartbeat);
      unsubscribe();
      open.delete(response!);
    };
    request.raw.on('close', cleanup);
    response.on('close', cleanup);
  });
}
