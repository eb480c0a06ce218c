import type { Queue } from 'bullmq';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';

/** Plays Kakao's admin-key webhooks (unlink, Kakao Talk Channel, Kakao Talk Share) in tests. */
export const ADMIN_KEY = '0123456789abcdef0123456789abcdef';
/** The previous primary admin key, still configured during a rotation. */
export const OLD_ADMIN_KEY = 'fedcba9876543210fedcba9876543210';
export const APP_ID = '123456';
/** Above 2^53: must stay a string end to end. */
export const KAKAO_USER_ID = '9007199254740993123';

export const ADMIN_ENV = { KAKAO_ADMIN_KEYS: `${ADMIN_KEY}, ${OLD_ADMIN_KEY}`, KAKAO_APP_ID: `999,${APP_ID}` };

export const FORM = 'application/x-www-form-urlencoded';
export const JSON_TYPE = 'application/json';

export interface KakaoCall {
  method?: 'GET' | 'POST' | 'HEAD';
  url: string;
  /** The admin key sent as `KakaoAK <key>`; null sends no Authorization header. */
  key?: string | null;
  /** Replaces the whole Authorization header. */
  authorization?: string;
  contentType?: string;
  payload?: string;
  headers?: Record<string, string>;
}

export function callKakao(app: FastifyInstance, call: KakaoCall) {
  const headers: Record<string, string> = { 'user-agent': 'KakaoOpenAPI/1.0', ...call.headers };
  const key = call.key === undefined ? ADMIN_KEY : call.key;
  if (call.authorization !== undefined) headers.authorization = call.authorization;
  else if (key !== null) headers.authorization = `KakaoAK ${key}`;
  if (call.contentType) headers['content-type'] = call.contentType;
  const options: InjectOptions = { method: call.method ?? 'POST', url: call.url, headers };
  if (call.payload !== undefined) options.payload = call.payload;
  return app.inject(options);
}

export const form = (params: Record<string, string>) => new URLSearchParams(params).toString();

export const unlinkParams = (overrides: Record<string, string> = {}) => ({
  app_id: APP_ID,
  user_id: KAKAO_USER_ID,
  referrer_type: 'UNLINK_FROM_APPS',
  ...overrides,
});

let counter = 0;
/** A fresh X-Kakao-Resource-ID, shaped like Kakao's (24 url-safe characters). */
export function resourceId(): string {
  counter += 1;
  return `Rvy1c2dkzBAZ${String(process.pid).padStart(6, '0')}${String(counter).padStart(6, '0')}`;
}

export const channelBody = (overrides: Record<string, unknown> = {}) => ({
  event: 'added',
  id: KAKAO_USER_ID,
  id_type: 'app_user_id',
  channel_public_id: '_xfxhjXn',
  channel_uuid: '@mychannel',
  updated_at: '2025-01-15T09:30:00Z',
  ...overrides,
});

export const allJobs = (inspect: Queue) => inspect.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized']);

/** A refused request: the status, the stable error code, and no job in the queue. */
export async function expectRefusedWithoutJob(inspect: Queue, response: LightMyRequestResponse, status: number, error: string) {
  expect(response.statusCode).toBe(status);
  expect(response.json()).toMatchObject({ error });
  expect(await allJobs(inspect)).toHaveLength(0);
}
