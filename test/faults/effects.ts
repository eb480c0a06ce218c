import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../helpers/wait-for.js';
import type { Delivery } from './deliveries.js';

/**
 * What the service did with the events, seen from outside as its users see it: each user's
 * account state through the account API, and the queue through /metrics. Nothing here trusts an
 * HTTP 2xx: an event counts as processed only once its effect is in the account state.
 */
export const FAULT_API_TOKEN = 'fault-suite-account-api-token-0123';

interface AccountState {
  status: { value: string };
  sessionsRevokedAt: string | null;
  lastEvent: { id: string; type: string } | null;
}

const EXPECTED_TYPE = { kakao: 'kakao.account-disabled', logto: 'logto.User.SuspensionStatus.Updated' } as const;

/** True when the user's account state is exactly what this one delivery makes of it. */
async function inEffect(baseUrl: string, delivery: Delivery): Promise<boolean> {
  const response = await fetch(`${baseUrl}/v1/accounts/${delivery.provider}/${encodeURIComponent(delivery.userId)}`, {
    headers: { authorization: `Bearer ${FAULT_API_TOKEN}` },
    signal: AbortSignal.timeout(5000),
  });
  if (response.status === 404) return false; // no event about this user has been processed
  if (!response.ok) throw new Error(`account API answered ${response.status} for ${delivery.provider}/${delivery.userId}`);
  const state = (await response.json()) as AccountState;
  return (
    state.lastEvent?.id === delivery.eventId &&
    state.lastEvent.type === EXPECTED_TYPE[delivery.provider] &&
    state.status.value === 'disabled' &&
    state.sessionsRevokedAt !== null
  );
}

/** The deliveries whose effect is not (yet) in the account state. */
export async function withoutEffect(baseUrl: string, deliveries: readonly Delivery[], concurrency = 16): Promise<Delivery[]> {
  const missing: Delivery[] = [];
  let next = 0;
  const lane = async () => {
    while (next < deliveries.length) {
      const delivery = deliveries[next++]!;
      if (!(await inEffect(baseUrl, delivery))) missing.push(delivery);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return missing;
}

/**
 * Polls until every delivery's effect shows, rereading only the missing ones (a user gets one
 * event, so an effect once seen stays); throws naming what is still missing.
 */
export async function waitForEffects(baseUrl: () => string, deliveries: readonly Delivery[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let missing: Delivery[] = [...deliveries];
  for (;;) {
    try {
      missing = await withoutEffect(baseUrl(), missing);
    } catch (error) {
      if (Date.now() > deadline) throw error; // e.g. the account API itself still refusing
    }
    if (missing.length === 0) return;
    if (Date.now() > deadline) {
      const sample = missing.slice(0, 5).map((delivery) => `${delivery.provider}/${delivery.userId} (${delivery.eventId})`);
      throw new Error(`${missing.length} of ${deliveries.length} events show no effect after ${timeoutMs} ms, e.g. ${sample.join(', ')}`);
    }
    await sleep(250);
  }
}

export type QueueJobs = Record<'waiting' | 'active' | 'delayed' | 'failed' | 'completed', number>;

/** webhook_queue_jobs{state} from a process's /metrics (read from the store at scrape time). */
export async function queueJobs(baseUrl: string): Promise<QueueJobs> {
  const text = await (await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const jobs = { waiting: 0, active: 0, delayed: 0, failed: 0, completed: 0 };
  for (const match of text.matchAll(/^webhook_queue_jobs\{state="(\w+)"\} (\d+)$/gm)) {
    if (match[1]! in jobs) jobs[match[1] as keyof QueueJobs] = Number(match[2]);
  }
  return jobs;
}

/** Until no job waits, runs or is delayed; resolves with the last counts (failed ones included). */
export function waitForDrainedQueue(baseUrl: string, timeoutMs: number): Promise<QueueJobs> {
  return waitFor(
    async () => {
      const jobs = await queueJobs(baseUrl);
      return jobs.waiting + jobs.active + jobs.delayed === 0 ? jobs : undefined;
    },
    { timeoutMs, intervalMs: 250, what: 'the queue to drain' },
  );
}
