import type { Pool } from 'pg';
import { profileStrings, type AccountStore } from './account-store.js';

/**
 * The AccountStore on PostgreSQL (or the embedded PGlite), for deployments without Redis:
 * - `public.webhook_session_revocations(provider, user_id, revoked_before)`: refuse sessions
 *   issued before `revoked_before`;
 * - `public.webhook_profiles(provider, user_id, fields jsonb, updated_at)`: latest profile fields.
 * Same semantics as the Redis store: the revocation instant never moves back, and profile
 * updates older than the stored one are ignored.
 */
export function createSqlAccountStore(pool: Pool): AccountStore {
  let ready: Promise<unknown> | undefined;
  const ensureTables = () =>
    (ready ??= pool
      .query(
        `CREATE TABLE IF NOT EXISTS public.webhook_session_revocations (
           provider text NOT NULL, user_id text NOT NULL, revoked_before timestamptz NOT NULL,
           PRIMARY KEY (provider, user_id));
         CREATE TABLE IF NOT EXISTS public.webhook_profiles (
           provider text NOT NULL, user_id text NOT NULL, fields jsonb NOT NULL, updated_at timestamptz NOT NULL,
           PRIMARY KEY (provider, user_id));`,
      )
      .catch((error: unknown) => {
        ready = undefined; // try again on the next event
        throw error;
      }));

  return {
    async revokeSessions(provider, userId, before) {
      await ensureTables();
      await pool.query(
        `INSERT INTO public.webhook_session_revocations AS r (provider, user_id, revoked_before) VALUES ($1, $2, $3)
         ON CONFLICT (provider, user_id) DO UPDATE SET revoked_before = GREATEST(r.revoked_before, EXCLUDED.revoked_before)`,
        [provider, userId, before],
      );
    },
    async updateProfile(provider, userId, fields, at) {
      await ensureTables();
      await pool.query(
        `INSERT INTO public.webhook_profiles AS p (provider, user_id, fields, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (provider, user_id) DO UPDATE SET fields = p.fields || EXCLUDED.fields, updated_at = EXCLUDED.updated_at
         WHERE p.updated_at <= EXCLUDED.updated_at`,
        [provider, userId, JSON.stringify(profileStrings(fields)), at],
      );
    },
    async sessionsRevokedBefore(provider, userId) {
      await ensureTables();
      const { rows } = await pool.query<{ revoked_before: Date }>(
        'SELECT revoked_before FROM public.webhook_session_revocations WHERE provider = $1 AND user_id = $2',
        [provider, userId],
      );
      return rows[0]?.revoked_before ?? null;
    },
    async profile(provider, userId) {
      await ensureTables();
      const { rows } = await pool.query<{ fields: Record<string, string> }>(
        'SELECT fields FROM public.webhook_profiles WHERE provider = $1 AND user_id = $2',
        [provider, userId],
      );
      return rows[0]?.fields ?? null;
    },
  };
}
