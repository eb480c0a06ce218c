/**
 * After a purge, makes the embedded store's files let go of what was deleted. A deleted or
 * updated row leaves its old bytes in two places: in the table's page, as a dead row version
 * (PGlite runs no autovacuum), and in the write-ahead log, until its segment file is removed.
 *
 * 1. VACUUM prunes the dead row versions. Until then, the first change to a page after a
 *    checkpoint would copy them, in the page's full image, into the new WAL segment.
 * 2. pg_switch_wal() closes the segment that holds the deleted values.
 * 3. CHECKPOINT leaves every earlier segment unneeded, and PostgreSQL deletes them (wal_recycle is
 *    off, embedded-initdb.ts; recycling would rename them for reuse with their contents intact).
 *
 * A test purges a user and finds the email in no WAL file afterwards, and fails without this.
 */
const STEPS = ['VACUUM', 'SELECT pg_switch_wal()', 'CHECKPOINT'];

/** The statements may take longer than the pool's per-query budget on a large store. */
const STEP_TIMEOUT_MS = 60_000;

export type RunStatement = (sql: string, timeoutMs: number) => Promise<unknown>;

/**
 * Returns forget(): resolves once a run that started after the call has finished. Calls made while
 * a run is under way share the one that follows it, so a burst of purges costs two runs, not one
 * each; a failed run fails its callers (the purging job is retried), not the next run.
 */
export function createEmbeddedForget(run: RunStatement): () => Promise<void> {
  const once = async () => {
    for (const sql of STEPS) await run(sql, STEP_TIMEOUT_MS);
  };
  let last: Promise<void> = Promise.resolve();
  let waiting: Promise<void> | undefined; // the run not yet started, which new callers join
  return () => {
    waiting ??= last
      .catch(() => {})
      .then(() => {
        waiting = undefined;
        return once();
      });
    last = waiting;
    return waiting;
  };
}
