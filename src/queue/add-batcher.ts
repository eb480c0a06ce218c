/**
 * Groups the jobs that concurrent requests add within one turn of the event loop into one store
 * round trip (BullMQ's addBulk: one Redis pipeline, one SQL transaction). Each caller's promise
 * settles when the batch holding its jobs does, so a request is never acknowledged before its
 * event is stored, and a failed batch fails every request in it (each sender retries; job ids
 * deduplicate what was stored after all). A batch refused for one request's values (`isolate`)
 * is sent again request by request, so only that request is refused.
 */
export interface JobSpec<T> {
  name: string;
  data: T;
  opts: { jobId: string; deduplication: { id: string; ttl: number } };
}

export interface AddBatcherOptions<T> {
  add(job: JobSpec<T>): Promise<unknown>;
  addBulk(jobs: JobSpec<T>[]): Promise<unknown>;
  /** A batch this large is sent at once instead of waiting for the end of the turn. */
  maxJobs: number;
  /**
   * True for an error caused by the values of one job rather than by the store (PostgreSQL's data
   * exceptions): a batch failing with it is retried one request at a time. A store that writes
   * batches in one transaction (PostgreSQL) stored none of it, so nothing is written twice.
   */
  isolate?: (error: unknown) => boolean;
}

interface Waiter {
  jobs: readonly JobSpec<unknown>[];
  resolve(): void;
  reject(error: unknown): void;
}

export function createAddBatcher<T>(options: AddBatcherOptions<T>): (jobs: readonly JobSpec<T>[]) => Promise<void> {
  let jobs: JobSpec<T>[] = [];
  let waiters: Waiter[] = [];
  let scheduled: NodeJS.Immediate | undefined;

  function flush() {
    clearImmediate(scheduled);
    scheduled = undefined;
    const batch = jobs;
    const settle = waiters;
    jobs = [];
    waiters = [];
    const send = (some: JobSpec<T>[]) => (some.length === 1 ? options.add(some[0]!) : options.addBulk(some));
    send(batch).then(
      () => settle.forEach((waiter) => waiter.resolve()),
      (error: unknown) => {
        if (settle.length === 1 || !options.isolate?.(error)) return settle.forEach((waiter) => waiter.reject(error));
        for (const waiter of settle) send(waiter.jobs as JobSpec<T>[]).then(waiter.resolve, waiter.reject);
      },
    );
  }

  return (more) =>
    new Promise<void>((resolve, reject) => {
      jobs.push(...more);
      waiters.push({ jobs: more, resolve, reject });
      // setImmediate runs after the poll phase, once every request that arrived in it has been
      // verified and has asked to be stored.
      if (jobs.length >= options.maxJobs) flush();
      else scheduled ??= setImmediate(flush);
    });
}
