import { rejected } from '../../errors.js';

export interface EventAgePolicy {
  /** 0 disables the bound. */
  maxAgeSeconds: number;
  maxFutureSeconds: number;
}

/**
 * Logto signs no timestamp header; the signed `createdAt` is the only thing that stops a captured
 * request from being replayed after the dedupe window. 422: the request is
 * authentic and well-formed, but refused by policy.
 */
export function checkEventAge(createdAt: string, policy: EventAgePolicy, now: Date): void {
  const ageSeconds = (now.getTime() - Date.parse(createdAt)) / 1000;
  if (policy.maxAgeSeconds > 0 && ageSeconds > policy.maxAgeSeconds) {
    throw rejected('ERR_EVENT_TOO_OLD', `createdAt is more than ${policy.maxAgeSeconds} s old`, undefined, 422);
  }
  if (-ageSeconds > policy.maxFutureSeconds) {
    throw rejected('ERR_EVENT_IN_FUTURE', `createdAt is more than ${policy.maxFutureSeconds} s in the future`, undefined, 422);
  }
}
