import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request a target received, exactly as an application would see it. */
export interface ReceivedDelivery {
  /** The raw body: what an application must verify, before parsing. */
  body: string;
  headers: IncomingHttpHeaders;
  method: string;
  path: string;
  atMs: number;
}

export interface TargetAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Waits this long before answering (to play a slow application). */
  delayMs?: number;
}

/**
 * Plays the application that receives forwarded events: a real HTTP server on 127.0.0.1 that
 * records every request and answers what `answer` says (200 by default).
 */
export interface ForwardTarget {
  url: string;
  received: ReceivedDelivery[];
  /** Decides each answer; `n` counts this target's requests from 1. */
  answer: (delivery: ReceivedDelivery, n: number) => TargetAnswer;
  close(): Promise<void>;
}

export async function startForwardTarget(answer: ForwardTarget['answer'] = () => ({ status: 200 }), path = '/hooks'): Promise<ForwardTarget> {
  const received: ReceivedDelivery[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const target: ForwardTarget = { url: '', received, answer, close: async () => {} };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const delivery: ReceivedDelivery = {
        body: Buffer.concat(chunks).toString('utf8'),
        headers: request.headers,
        method: request.method ?? '',
        path: request.url ?? '',
        atMs: Date.now(),
      };
      received.push(delivery);
      const reply = target.answer(delivery, received.length);
      const send = () => {
        if (response.destroyed) return;
        response.writeHead(reply.status, reply.headers ?? {});
        response.end(reply.body ?? '');
      };
      if (reply.delayMs) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          send();
        }, reply.delayMs);
        timers.add(timer);
      } else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  target.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  target.close = async () => {
    for (const timer of timers) clearTimeout(timer);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return target;
}

/**
 * Verifies a delivery exactly as an application in Node would, with the standardwebhooks
 * library: the raw body and the three headers. Returns the parsed payload; throws when invalid.
 */
export function verifyDelivery(secret: string, delivery: ReceivedDelivery): Record<string, unknown> {
  return new Webhook(secret).verify(delivery.body, {
    'webhook-id': String(delivery.headers['webhook-id'] ?? ''),
    'webhook-timestamp': String(delivery.headers['webhook-timestamp'] ?? ''),
    'webhook-signature': String(delivery.headers['webhook-signature'] ?? ''),
  }) as Record<string, unknown>;
}

/** A fresh Standard Webhooks secret, as README.md tells users to make one. */
export function newSecret(): string {
  return `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64')}`;
}
