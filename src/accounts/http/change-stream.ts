import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { ReceiverError, unavailable } from '../../errors.js';
import type { AccountsConfig } from '../config.js';
import type { AccountChange } from '../model.js';
import type { AccountStateStore } from '../store.js';
import { presentedBearerToken } from './bearer-auth.js';
import { createChangeFeedMetrics } from './feed-metrics.js';
import { createFeedWriter } from './feed-writer.js';
import { createStreamSlots } from './stream-slots.js';

export const CHANGES_PATH = '/v1/accounts/changes';
const HEARTBEAT_MS = 15_000;

export interface ChangeStreamOptions {
  store: AccountStateStore;
  retryAfterSeconds: number;
  limits: AccountsConfig['changeFeed'];
  registry: Registry;
}

/**
 * A change's SSE event, made once however many streams carry it: the store's feed hands every
 * subscriber the same object.
 */
const events = new WeakMap<AccountChange, string>();
function eventOf(change: AccountChange): string {
  let event = events.get(change);
  if (event === undefined) {
    event = `event: change\nid: ${change.eventId}\ndata: ${JSON.stringify(change)}\n\n`;
    events.set(change, event);
  }
  return event;
}

/**
 * GET /v1/accounts/changes: the change feed as Server-Sent Events, on every store.
 * - first `event: ready` once the subscription is live: a change stored after it is delivered;
 * - then `event: change`, `id: <event id>`, `data: <AccountChange JSON>` per applied change;
 * - a `: ping` comment every 15 s keeps proxies from closing an idle stream.
 * When the store's own feed drops (Redis or PostgreSQL connection lost), the stream ends: a
 * client must then reconnect and treat what it cached as stale. The same holds when the stream
 * is ended because its reader fell behind (feed-writer.ts). Streams beyond the configured
 * limits, per token or in total, are refused with 429 and Retry-After.
 */
export async function changeStreamRoute(app: FastifyInstance, options: ChangeStreamOptions) {
  const { limits } = options;
  const open = new Set<ServerResponse>();
  const slots = createStreamSlots({ total: limits.maxStreams, perToken: limits.maxStreamsPerToken });
  const metrics = createChangeFeedMetrics(options.registry, () => slots.open);
  app.addHook('preClose', async () => {
    for (const response of open) response.end();
  });

  app.get(CHANGES_PATH, async (request, reply: FastifyReply) => {
    // bearerAuth has admitted the request: the token is one of the configured ones.
    const release = slots.take(presentedBearerToken(request)!);
    if (typeof release === 'string') {
      metrics.refused(release);
      const which = release === 'token_limit' ? 'this token holds' : 'this server holds';
      throw new ReceiverError('ERR_TOO_MANY_STREAMS', 429, `${which} as many change feed streams as it may; close one or retry later`, {
        retryAfter: options.retryAfterSeconds,
      });
    }

    const pending: AccountChange[] = [];
    let write: ((text: string) => void) | undefined;
    const send = (change: AccountChange) => write!(eventOf(change));
    let response: ServerResponse | undefined;
    let unsubscribe: () => void;
    try {
      unsubscribe = await options.store.changes.subscribe({
        onChange: (change) => (write ? send(change) : pending.push(change)),
        onInterrupt: () => response?.end(),
      });
    } catch (error) {
      release();
      throw unavailable('ERR_STORE_UNAVAILABLE', 'the change feed is unavailable', options.retryAfterSeconds, error);
    }

    reply.hijack();
    response = reply.raw;
    open.add(response);
    let heartbeat: NodeJS.Timeout | undefined;
    const cleanup = () => {
      clearInterval(heartbeat);
      unsubscribe();
      release();
      open.delete(response!);
    };
    request.raw.on('close', cleanup);
    response.on('close', cleanup);
    write = createFeedWriter(response, limits, (reason, bufferedBytes) => {
      metrics.dropped(reason);
      request.log.warn(
        { reason, bufferedBytes },
        'change feed stream ended: its reader fell behind (the client reconnects and reads the state afresh)',
      );
    }).write;

    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no', // nginx: do not buffer the stream
    });
    write('retry: 1000\n\nevent: ready\ndata: {}\n\n');
    for (const change of pending.splice(0)) send(change);
    heartbeat = setInterval(() => write!(': ping\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
  });
}
