import type { Redis } from 'ioredis';
import type { Provider } from '../../events/envelope.js';

/**
 * Where the built-in handlers record what they learn. The default keeps it in Redis, where the
 * application that owns the sessions reads it:
 * - `webhook:sessions-revoked-before:<provider>:<user id>`: epoch ms. A session or refresh token
 *   issued before this instant must be refused.
 * - `webhook:profile:<provider>:<user id>`: hash of the latest profile fields, plus `_updatedAt`.
 * Replace it with your own implementation (database, session service) in src/handlers/index.ts.
 */
export interface AccountStore {
  /** Records that every session of the user that started before `before` is revoked. Idempotent. */
  revokeSessions(provider: Provider, userId: string, before: Date): Promise<void>;
  /** Stores profile fields observed at `at`; older updates than the stored one are ignored. */
  updateProfile(provider: Provider, userId: string, fields: Record<string, unknown>, at: Date): Promise<void>;
  /** For the application: sessions of this user issued before the answer are revoked; null if none. */
  sessionsRevokedBefore(provider: Provider, userId: string): Promise<Date | null>;
  /** For the application: the latest profile fields stored for this user; null if none. */
  profile(provider: Provider, userId: string): Promise<Record<string, string> | null>;
}

/** Profile values as both stores keep them: strings as they are, anything else as JSON. */
export function profileStrings(fields: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)]));
}

// Keeps the latest instant: redeliveries and out-of-order events never move it back.
const SET_MAX = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1]) end
return 1`;

// Last writer wins by the provider's event time, not by arrival order.
const HSET_IF_NEWER = `
local current = tonumber(redis.call('HGET', KEYS[1], '_updatedAt') or '0')
if tonumber(ARGV[1]) < current then return 0 end
redis.call('HSET', KEYS[1], '_updatedAt', ARGV[1])
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1`;

export function createRedisAccountStore(redis: Redis): AccountStore {
  return {
    async revokeSessions(provider, userId, before) {
      await redis.eval(SET_MAX, 1, `webhook:sessions-revoked-before:${provider}:${userId}`, String(before.getTime()));
    },
    async updateProfile(provider, userId, fields, at) {
      const pairs = Object.entries(profileStrings(fields)).flat();
      await redis.eval(HSET_IF_NEWER, 1, `webhook:profile:${provider}:${userId}`, String(at.getTime()), ...pairs);
    },
    async sessionsRevokedBefore(provider, userId) {
      const value = await redis.get(`webhook:sessions-revoked-before:${provider}:${userId}`);
      return value === null ? null : new Date(Number(value));
    },
    async profile(provider, userId) {
      const { _updatedAt, ...fields } = await redis.hgetall(`webhook:profile:${provider}:${userId}`);
      return _updatedAt === undefined ? null : fields;
    },
  };
}
