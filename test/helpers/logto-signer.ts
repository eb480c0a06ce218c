import { createHmac, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

/**
 * Plays Logto in tests. Logto signs `JSON.stringify(payload)` and sends those same bytes
 * (https://docs.logto.io/developers/webhooks/secure-webhooks): hex(HMAC-SHA256(key as UTF-8, exact body bytes)).
 */
export const LOGTO_KEY = 'AbCdEfGhIjKlMnOpQrStUvWxYz012345';
export const LOGTO_OLD_KEY = 'oldKey0123456789oldKey0123456789';

export function signLogto(key: string, body: string | Buffer): string {
  return createHmac('sha256', key).update(body).digest('hex');
}

/** A User.Data.Updated payload from `PATCH /users/:userId`, keys in the order Logto builds them. */
export function userDataUpdated(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const userId = overrides.userId as string | undefined ?? `u${randomUUID().slice(0, 11)}`;
  const { userId: _ignored, ...rest } = overrides;
  return {
    event: 'User.Data.Updated',
    createdAt: new Date().toISOString(),
    userAgent: 'node',
    ip: '198.51.100.4',
    path: `/users/${userId}`,
    method: 'PATCH',
    status: 200,
    params: { userId },
    matchedRoute: '/users/:userId',
    data: {
      id: userId,
      username: 'ada',
      primaryEmail: 'ada@example.com',
      primaryPhone: null,
      name: 'Ada Lovelace',
      avatar: null,
      customData: {},
      identities: {},
      lastSignInAt: 1787303554000,
      createdAt: 1787303554000,
      updatedAt: Date.now(),
      profile: {},
      applicationId: null,
      cimdClientId: null,
      isSuspended: false,
      hasPassword: true,
    },
    ...rest,
    hookId: 'jhcgbb09lfhk448jds1jr',
  };
}

/** The console's "Send test payload" for a data event. */
export function consoleTestPayload(event = 'User.Created'): Record<string, unknown> {
  return {
    event,
    hookId: 'jhcgbb09lfhk448jds1jr',
    createdAt: new Date().toISOString(),
    userAgent: 'fake-user-agent',
    path: '/fake-path/:id',
    method: 'POST',
    status: 200,
    params: { id: 'fake-id' },
    data: { result: 'success' },
  };
}

/** The console's "Send test payload" for an interaction event. */
export function consoleInteractionTestPayload(event = 'PostSignIn'): Record<string, unknown> {
  const now = Date.now();
  return {
    event,
    hookId: 'jhcgbb09lfhk448jds1jr',
    createdAt: new Date(now).toISOString(),
    userAgent: 'fake-user-agent',
    sessionId: 'fake-session-id',
    userIp: 'fake-user-ip',
    userId: 'fake-id',
    user: {
      id: 'fake-id', username: 'fake-user', primaryEmail: 'fake-user@fake-service.com', primaryPhone: '1234567890',
      name: 'Fake User', avatar: 'https://fake-service.com/avatars/fake-user.png', customData: { theme: 'light' },
      identities: { google: { userId: 'fake-google-user-id' } }, profile: {}, applicationId: 'fake-application-id',
      cimdClientId: null, isSuspended: false, lastSignInAt: now, createdAt: now, updatedAt: now,
    },
    application: { id: 'fake-spa-application-id', type: 'SPA', name: 'Fake Application', description: 'Fake application data for testing' },
  };
}

export interface PostLogtoOptions {
  key?: string;
  /** Overrides the computed signature; `null` sends none. */
  signature?: string | null;
  contentType?: string;
}

/** POSTs `body` exactly as given (a payload object is serialized the way Logto does). */
export function postLogto(app: FastifyInstance, body: string | Record<string, unknown>, options: PostLogtoOptions = {}) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const signature = options.signature === undefined ? signLogto(options.key ?? LOGTO_KEY, raw) : options.signature;
  return app.inject({
    method: 'POST',
    url: '/webhooks/logto',
    headers: {
      'content-type': options.contentType ?? 'application/json',
      'user-agent': 'Logto (https://logto.io/)',
      ...(signature === null ? {} : { 'logto-signature-sha-256': signature }),
    },
    payload: raw,
  });
}
