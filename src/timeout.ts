/**
 * `work`'s result, or `onTimeout()`'s after `ms` (a throw from it rejects): nothing that must
 * answer in time (a request, a readiness check, a scrape) waits longer on a store.
 */
export async function within<T>(ms: number, work: Promise<T>, onTimeout: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve, reject) => {
    timer = setTimeout(() => {
      try {
        resolve(onTimeout());
      } catch (error) {
        reject(error);
      }
    }, ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
