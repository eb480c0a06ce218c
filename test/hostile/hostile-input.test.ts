import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_ENV, ADMIN_KEY, allJobs, callKakao, channelBody, form, FORM, JSON_TYPE, resourceId, unlinkParams } from '../helpers/kakao-admin.js';
import { setClaims, signSet } from '../helpers/kakao-transmitter.js';
import { LOGTO_KEY, postLogto, signLogto, userDataUpdated } from '../helpers/logto-signer.js';
import { postSet, startTestReceiver, useTestBackend, type TestReceiver } from '../helpers/receiver.js';
import { CHANNEL_PATH, HOSTILE_CASES, LOGTO_BODY_LIMIT, LOGTO_PATH, SET_PATH, SHARE_PATH, UNLINK_PATH, WEBHOOK_PATHS } from './cases.js';
import { sendRaw } from './raw-socket.js';

/**
 * The hostile input suite (issue "hostile input"): malformed, forged and abusive requests against
 * every webhook endpoint, on the default store. Each gets its exact 4xx and error code, none
 * creates a job, none gets a 5xx; afterwards the service is healthy and takes genuine events.
 */
const store = useTestBackend();

let r: TestReceiver;
let port: number;
const statuses: number[] = [];

beforeAll(async () => {
  r = await startTestReceiver(store(), { ...ADMIN_ENV, LOGTO_SIGNING_KEYS: LOGTO_KEY, LOGTO_BODY_LIMIT: String(LOGTO_BODY_LIMIT) });
  await r.app.listen({ port: 0, host: '127.0.0.1' });
  port = (r.app.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await r?.close();
});

const jobCount = async () => (await allJobs(r.inspect)).length;

describe('hostile input', () => {
  it('has at least 200 cases, covering every webhook endpoint and method', () => {
    const perEndpoint = new Map<string, number>();
    for (const c of HOSTILE_CASES) perEndpoint.set(c.endpoint, (perEndpoint.get(c.endpoint) ?? 0) + 1);
    expect(HOSTILE_CASES.length).toBeGreaterThanOrEqual(200);
    expect([...perEndpoint.keys()].sort()).toEqual([
      `GET ${SHARE_PATH}`, `GET ${UNLINK_PATH}`, `POST ${SET_PATH}`, `POST ${CHANNEL_PATH}`, `POST ${SHARE_PATH}`, `POST ${UNLINK_PATH}`, `POST ${LOGTO_PATH}`,
    ].sort());
    for (const count of perEndpoint.values()) expect(count).toBeGreaterThanOrEqual(20);
    // Every name is unique within its endpoint, so a failure names one request.
    expect(new Set(HOSTILE_CASES.map((c) => `${c.endpoint} ${c.name}`)).size).toBe(HOSTILE_CASES.length);
  });

  describe.each([...new Set(HOSTILE_CASES.map((c) => c.endpoint))])('%s', (endpoint) => {
    it.each(HOSTILE_CASES.filter((c) => c.endpoint === endpoint).map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      // Compared with the count before, so one case that enqueues fails alone, not every later one.
      const before = await jobCount();
      const response = await c.send(r);
      statuses.push(response.statusCode);
      expect(response.statusCode).toBe(c.status);
      if (c.error === '') {
        expect(response.body).toBe(''); // HEAD: no body
      } else {
        const body = response.json() as Record<string, unknown>;
        expect(endpoint === `POST ${SET_PATH}` && c.status !== 404 ? body.err : body.error).toBe(c.error);
      }
      if (c.code !== undefined) {
        const reqId = response.headers['x-request-id'];
        const refused = r.logs.filter((line) => line.reqId === reqId && line.msg === 'request refused');
        expect(refused.map((line) => line.code)).toEqual([c.code]);
      }
      expect(await jobCount()).toBe(before);
    });
  });

  describe('over a raw socket', () => {
    const rawCases: { name: string; request: (path: string) => string; status: number }[] = [
      {
        name: 'Content-Length and Transfer-Encoding together, a request smuggled behind',
        request: (path) =>
          `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: KakaoAK ${ADMIN_KEY}\r\nContent-Type: ${FORM}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n`,
        status: 400,
      },
      {
        name: 'Transfer-Encoding before Content-Length',
        request: (path) => `POST ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 30\r\nContent-Type: ${JSON_TYPE}\r\n\r\n5\r\n{"a":\r\n0\r\n\r\n`,
        status: 400,
      },
      {
        name: 'two different Content-Length headers',
        request: (path) => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${JSON_TYPE}\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}`,
        status: 400,
      },
      {
        name: 'two equal Content-Length headers',
        request: (path) => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${JSON_TYPE}\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}`,
        status: 400,
      },
      {
        name: 'a Content-Length list',
        request: (path) => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${JSON_TYPE}\r\nContent-Length: 2, 2\r\n\r\n{}`,
        status: 400,
      },
      {
        name: 'a space before the colon of Content-Length',
        request: (path) => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${JSON_TYPE}\r\nContent-Length : 2\r\n\r\n{}`,
        status: 400,
      },
      {
        name: 'an invalid chunk size',
        request: (path) => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${JSON_TYPE}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
        status: 400,
      },
      {
        name: 'a negative Content-Length',
        request: (path) => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${JSON_TYPE}\r\nContent-Length: -1\r\n\r\n{}`,
        status: 400,
      },
      {
        name: 'oversized headers (32 KiB)',
        request: (path) => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${JSON_TYPE}\r\nX-Pad: ${'a'.repeat(32 * 1024)}\r\nContent-Length: 2\r\n\r\n{}`,
        status: 431,
      },
    ];
    const table = WEBHOOK_PATHS.flatMap((path) => rawCases.map((c) => [`${c.name}: POST ${path}`, path, c] as const));

    it.each(table)('%s', async (_name, path, c) => {
      const before = await jobCount();
      const answer = await sendRaw(port, c.request(path));
      statuses.push(...answer.statuses);
      // The malformed framing is refused, and nothing behind it was taken as a second request. An
      // endpoint may first refuse the request for its headers (415 for a type it does not take,
      // answered before the body is read); Node then answers the broken body 400 and closes.
      expect(answer.statuses.at(-1)).toBe(c.status);
      expect(answer.statuses.length).toBeLessThanOrEqual(2);
      expect(answer.statuses.every((status) => status >= 400 && status < 500)).toBe(true);
      expect(await jobCount()).toBe(before);
    });
  });

  describe('afterwards', () => {
    it('no hostile request created a job', async () => {
      expect(await allJobs(r.inspect)).toEqual([]);
    });

    it('no request got a 5xx', () => {
      expect(statuses.length).toBeGreaterThanOrEqual(HOSTILE_CASES.length);
      expect(statuses.filter((status) => status >= 500)).toEqual([]);
    });

    it('nothing was written onto Object.prototype', () => {
      const probe = {} as Record<string, unknown>;
      for (const name of ['user_id', 'event', 'events', 'jti', 'createdAt', 'CHAT_TYPE']) expect(probe[name]).toBeUndefined();
    });

    it('the service is healthy, over the socket too', async () => {
      expect((await r.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    });

    it('still accepts a genuine signed event on every endpoint', async () => {
      expect(await jobCount()).toBe(0);
      expect((await postSet(r.app, await signSet(r.key, setClaims()))).statusCode).toBe(202);
      expect((await callKakao(r.app, { method: 'GET', url: `${UNLINK_PATH}?${form(unlinkParams({ referrer_type: 'ACCOUNT_DELETE' }))}` })).statusCode).toBe(200);
      expect((await callKakao(r.app, { url: UNLINK_PATH, contentType: FORM, payload: form(unlinkParams()) })).statusCode).toBe(200);
      expect((await callKakao(r.app, { url: CHANNEL_PATH, contentType: JSON_TYPE, payload: JSON.stringify(channelBody()), headers: { 'x-kakao-resource-id': resourceId() } })).statusCode).toBe(200);
      expect((await callKakao(r.app, { method: 'GET', url: `${SHARE_PATH}?CHAT_TYPE=MemoChat&HASH_CHAT_ID=h1`, headers: { 'x-kakao-resource-id': resourceId() } })).statusCode).toBe(200);
      expect((await callKakao(r.app, { url: SHARE_PATH, contentType: FORM, payload: 'CHAT_TYPE=MemoChat&HASH_CHAT_ID=h2', headers: { 'x-kakao-resource-id': resourceId() } })).statusCode).toBe(200);
      const body = JSON.stringify(userDataUpdated());
      expect((await postLogto(r.app, body, { signature: signLogto(LOGTO_KEY, body) })).statusCode).toBe(200);
      const names = (await allJobs(r.inspect)).map((job) => job.name).sort();
      expect(names).toEqual([
        'kakao.talk-channel.added', 'kakao.talk-share.sent', 'kakao.talk-share.sent', 'kakao.unlinked', 'kakao.unlinked', 'kakao.user-unlinked', 'logto.User.Data.Updated',
      ]);
    });

    it('the depth limit counts structure at 64 levels, not brackets inside strings', async () => {
      const before = await jobCount();
      const post = (raw: string) => postLogto(r.app, raw, { signature: signLogto(LOGTO_KEY, raw) });
      // The body is level 1, so `data` may nest 63 more.
      const at64 = JSON.stringify(userDataUpdated({ data: 'X' })).replace('"X"', '{"a":'.repeat(63) + '1' + '}'.repeat(63));
      expect((await post(at64)).statusCode).toBe(200);
      const at65 = JSON.stringify(userDataUpdated({ data: 'X' })).replace('"X"', '{"a":'.repeat(64) + '1' + '}'.repeat(64));
      expect((await post(at65)).statusCode).toBe(400);
      const bracketsInStrings = JSON.stringify(userDataUpdated({ note: `\\"${'[{'.repeat(5000)}` }));
      expect((await post(bracketsInStrings)).statusCode).toBe(200);
      expect(await jobCount()).toBe(before + 2);
    });

    it('colons and 2^53-sized values in accepted fields never reach a job id: the queue takes them', async () => {
      const before = await jobCount();
      const channel = JSON.stringify(channelBody({ event: 'a:b:c', id: 'x:1' }));
      expect((await callKakao(r.app, { url: CHANNEL_PATH, contentType: JSON_TYPE, payload: channel, headers: { 'x-kakao-resource-id': 'res:1:2' } })).statusCode).toBe(200);
      const share = 'CHAT_TYPE=a:b&HASH_CHAT_ID=c:d&TEMPLATE_ID=99999999999999999999';
      expect((await callKakao(r.app, { url: SHARE_PATH, contentType: FORM, payload: share })).statusCode).toBe(200);
      const logto = JSON.stringify(userDataUpdated({ event: 'Custom:Event:1', hookId: 'a:b' }));
      expect((await postLogto(r.app, logto, { signature: signLogto(LOGTO_KEY, logto) })).statusCode).toBe(200);
      const jobs = await allJobs(r.inspect);
      expect(jobs).toHaveLength(before + 3);
      for (const job of jobs) expect(job.id).toMatch(/^[a-z0-9-]+$/);
    });

    it('accepts a genuine request over the socket after the raw abuse', async () => {
      const body = JSON.stringify(userDataUpdated());
      const response = await fetch(`http://127.0.0.1:${port}${LOGTO_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'logto-signature-sha-256': signLogto(LOGTO_KEY, body) },
        body,
      });
      expect(response.status).toBe(200);
    });
  });
});
