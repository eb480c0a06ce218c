/**
 * Reference routes in a Fastify instance of their own (no logging): "bare" answers 202 to
 * anything, "floor" verifies the posted compact JWS's RS256 signature with node:crypto's callback
 * form (libuv thread pool) against a KeyObject imported once, JSON-parses the claims and answers
 * 202. What the receiver does on top of the floor is its own cost. With a queue, "floor-enqueue"
 * also stores one minimal job per token through the receiver's own EventQueue (BullMQ, grouped
 * per event-loop turn) before answering: the ceiling the store sets, with none of our other work.
 * "floor-logto-enqueue" is Logto's equivalent: HMAC-SHA256 of the raw body compared in constant
 * time, JSON.parse, one job through the EventQueue, 200.
 */
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import type { EventQueue } from '../src/queue/event-queue.js';
import { createHmac, createPublicKey, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';

export async function startFloorApp(jwk: JWK, queue?: EventQueue, logtoKey?: string): Promise<{ url: string; close(): Promise<void> }> {
  const key: KeyObject = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
  const app = Fastify({ logger: false });
  app.addContentTypeParser('application/secevent+jwt', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.post('/bare', async (_request, reply) => reply.code(202).send());
  let stored = 0; // every request a new job, as a new event would be
  const floor = (request: FastifyRequest, reply: FastifyReply) => {
    const token = request.body as string;
    const first = token.indexOf('.');
    const second = token.indexOf('.', first + 1);
    if (first < 0 || second < 0) return void reply.code(400).send();
    const data = Buffer.from(token.slice(0, second));
    const signature = Buffer.from(token.slice(second + 1), 'base64url');
    verify('sha256', data, key, signature, (error, ok) => {
      if (error || !ok) return void reply.code(401).send();
      let claims: { jti: string };
      try {
        claims = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8'));
      } catch {
        return void reply.code(400).send();
      }
      if (request.url !== '/floor-enqueue' || !queue) return void reply.code(202).send();
      const now = new Date().toISOString();
      queue
        .enqueue([{ id: `floor-${claims.jti}-${(stored += 1)}`, provider: 'kakao', type: 'kakao.unknown', sourceType: 'floor', occurredAt: now, receivedAt: now, data: {} } as never])
        .then(() => reply.code(202).send(), () => reply.code(503).send());
    });
  };
  app.post('/floor', floor);
  app.post('/floor-enqueue', floor);
  if (queue && logtoKey) {
    app.register(async (logto) => {
      logto.removeAllContentTypeParsers();
      logto.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
      logto.post('/floor-logto-enqueue', (request, reply) => {
        const body = request.body as Buffer;
        const expected = createHmac('sha256', logtoKey).update(body).digest();
        const given = Buffer.from(String(request.headers['logto-signature-sha-256']), 'hex');
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) return void reply.code(401).send();
        let payload: { event: string; createdAt: string };
        try {
          payload = JSON.parse(body.toString('utf8'));
        } catch {
          return void reply.code(400).send();
        }
        const now = new Date().toISOString();
        queue
          .enqueue([{ id: `floor-logto-${(stored += 1)}-${payload.createdAt}`, provider: 'logto', type: 'logto.unknown', sourceType: payload.event, occurredAt: now, receivedAt: now, data: {} } as never])
          .then(() => reply.code(200).send(), () => reply.code(503).send());
      });
    });
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`, close: () => app.close() };
}
