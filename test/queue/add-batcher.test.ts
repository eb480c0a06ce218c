import { describe, expect, it } from 'vitest';
import { createAddBatcher, type JobSpec } from '../../src/queue/add-batcher.js';

const job = (id: string): JobSpec<string> => ({ name: 't', data: id, opts: { jobId: id, deduplication: { id, ttl: 1 } } });

/** A store whose calls the test settles by hand, to see when each caller's promise settles. */
function manualStore() {
  const calls: { kind: 'add' | 'addBulk'; jobs: JobSpec<string>[]; resolve(): void; reject(error: Error): void }[] = [];
  const call = (kind: 'add' | 'addBulk', jobs: JobSpec<string>[]) =>
    new Promise<void>((resolve, reject) => calls.push({ kind, jobs, resolve, reject }));
  return { calls, add: (one: JobSpec<string>) => call('add', [one]), addBulk: (many: JobSpec<string>[]) => call('addBulk', many) };
}

const settled = async (promise: Promise<unknown>) => {
  let state = 'pending';
  promise.then(() => (state = 'resolved'), () => (state = 'rejected'));
  await new Promise((resolve) => setImmediate(resolve));
  return state;
};

describe('the add batcher', () => {
  it('stores the jobs of requests made in one turn in one addBulk, and answers none before it is stored', async () => {
    const store = manualStore();
    const batcher = createAddBatcher({ ...store, maxJobs: 500 });
    const first = batcher([job('a')]);
    const second = batcher([job('b'), job('c')]);
    const third = batcher([job('d')]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.calls.map((call) => [call.kind, call.jobs.map((one) => one.data)])).toEqual([['addBulk', ['a', 'b', 'c', 'd']]]);
    expect(await settled(first)).toBe('pending');
    store.calls[0]!.resolve();
    await expect(Promise.all([first, second, third])).resolves.toBeDefined();
  });

  it('a failed batch fails every request in it, and the next turn starts a new batch', async () => {
    const store = manualStore();
    const batcher = createAddBatcher({ ...store, maxJobs: 500 });
    const requests = [batcher([job('a')]), batcher([job('b')])];
    await new Promise((resolve) => setImmediate(resolve));
    store.calls[0]!.reject(new Error('store down'));
    for (const request of requests) await expect(request).rejects.toThrow('store down');
    const later = batcher([job('c')]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.calls.map((call) => call.kind)).toEqual(['addBulk', 'add']);
    store.calls[1]!.resolve();
    await expect(later).resolves.toBeUndefined();
  });

  it('sends a batch as soon as it reaches maxJobs', async () => {
    const store = manualStore();
    const batcher = createAddBatcher({ ...store, maxJobs: 3 });
    void batcher([job('a'), job('b')]);
    expect(store.calls).toHaveLength(0);
    void batcher([job('c')]);
    expect(store.calls.map((call) => call.jobs.length)).toEqual([3]);
    void batcher([job('d')]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.calls.map((call) => call.jobs.length)).toEqual([3, 1]);
  });
});
