import { describe, expect, it } from 'vitest';
import type { JobQueue, QueueBackend } from '../../src/queue/backend.js';
import { createReadQueues } from '../../src/queue/read-queues.js';

/** A backend whose queues only record how they were opened and closed. */
function fakeBackend() {
  const opened: { name: string; closed: boolean }[] = [];
  const backend = {
    createQueue(name: string) {
      const record = { name, closed: false };
      opened.push(record);
      return { record, on: () => undefined, close: async () => void (record.closed = true) } as unknown as JobQueue;
    },
  } as unknown as QueueBackend;
  return { backend, opened };
}

const fail = () => Promise.reject(new Error('no answer'));

describe('read-only queues', () => {
  it('share one Queue per name between readers and holders, and close each once, at the end', async () => {
    const { backend, opened } = fakeBackend();
    const queues = createReadQueues(backend);
    const held = queues.hold('events');
    await queues.read('events', async (queue) => expect(queue).toBe(held));
    await queues.read('forward', async () => undefined);
    expect(opened.map(({ name }) => name)).toEqual(['events', 'forward']);
    await queues.close();
    expect(opened.every(({ closed }) => closed)).toBe(true);
  });

  it('replace a Queue whose reads failed until one succeeded, never one that answered once', async () => {
    const { backend, opened } = fakeBackend();
    const queues = createReadQueues(backend);
    await expect(queues.read('events', fail)).rejects.toThrow();
    expect(opened).toEqual([{ name: 'events', closed: true }]);
    await queues.read('events', async () => undefined);
    await expect(queues.read('events', fail)).rejects.toThrow();
    await queues.read('events', async () => undefined);
    expect(opened).toEqual([{ name: 'events', closed: true }, { name: 'events', closed: false }]);
    await queues.close();
  });

  it('keep a held Queue open when reads replace it, and close it at the end', async () => {
    const { backend, opened } = fakeBackend();
    const queues = createReadQueues(backend);
    queues.hold('events');
    await expect(queues.read('events', fail)).rejects.toThrow();
    expect(opened).toEqual([{ name: 'events', closed: false }]);
    await queues.read('events', async () => undefined);
    expect(opened.length).toBe(2);
    await queues.close();
    expect(opened.every(({ closed }) => closed)).toBe(true);
  });
});
