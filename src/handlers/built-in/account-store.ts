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
      const pairs = Object.entries(fields).flatMap(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)]);
      await redis.eval(HSET_IF_NEWER, 1, `webhook:profile:${provider}:${userId}`, String(at.getTime()), ...pairs);
    },
  };
}
