import { ALL_ROLES, type Component } from '../composition/component.js';
import { registerQueueCollectors } from './collectors.js';

/**
 * Queue depth, oldest waiting job and store up, read at scrape time in every role: the queue is
 * the same whichever process looks, so each reports the store's numbers (Prometheus takes them
 * once, with max; see collectors.ts) and they outlive any one process. (The JWKS age is the Kakao
 * endpoint's: src/providers/kakao.)
 */
export const queueCollectorsComponent: Component = {
  name: 'queue-collectors',
  roles: ALL_ROLES,
  start({ config, metrics, use }) {
    const queues = use('queues');
    const backend = use('backend');
    const collector = registerQueueCollectors(metrics, { read: (read) => queues.read(config.queue.name, read), ping: () => backend.ping() });
    return { close: () => collector.close() };
  },
};
