import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { REDIS_CHANGES_CHANNEL } from '../../src/accounts/stores/redis-store.js';
import type { AccountChange, AccountState } from '../../src/accounts/model.js';
import { KAKAO_ISSUER, setClaims, signSet, type TestKey } from '../helpers/kakao-transmitter.js';
import { waitFor } from '../helpers/wait-for.js';
import type { Address, OwnSentinelSetup } from '../helpers/redis-topologies.js';
import { logtoUserSuspended, type Delivery } from './deliveries.js';
import { FAULT_API_TOKEN } from './effects.js';
import { useFaultScene } from './fault-scene.js';
import { acknowledged, resendUntilAcknowledged, send, type Attempt } from './sender.js';
import { waitUntilReady, type ServiceProcess } from './service-process.js';

/**
 * Redis behind Sentinel changes master in the middle of a steady stream of signed webhooks, with
 * a receiver and a worker in processes of their own, configured with the sentinels only
 * (REDIS_SENTINELS, REDIS_SENTINEL_MASTER) and REDIS_WAIT_REPLICAS=1: an event is acknowledged
 * once it is on a replica, and an account change is announced once it is on a replica.
 *
 * - SENTINEL FAILOVER, 1 master + 1 replica: the one replica, which holds every acknowledged
 *   write, is promoted. The old master keeps taking writes for a while, but no replica confirms
 *   them any more, so they are refused; the new master has no replica either until the sentinels
 *   turn the old master into one, some 10 to 20 s later, and refusing every event until then is
 *   right: an acknowledgement would rest on one node.
 * - SIGKILL of the master, 1 master + 2 replicas: the sentinels judge it down after 1 s and
 *   promote the replica with the most data (the longest replication offset, so it holds every
 *   write the other holds too); the other replica follows it, so WAIT 1 can be met again.
 *
 * Afterwards: every event acknowledged with 2xx is in effect in the account state (nothing
 * acknowledged was lost), requests that were not acknowledged got 503 (or no answer), both
 * processes follow the new master by themselves and acknowledge again within seconds, the change
 * feed announced nothing the store does not hold, and /readyz is 200 again.
 *
 * Not told apart here: whether ioredis's failover detector and reconnect-on-READONLY are on.
 * Sentinel disconnects the old master's clients when it makes it a replica, so they ask the
 * sentinels again anyway, and with one replica the new master cannot confirm a write before then.
 *
 * The events: Kakao consent SETs about a few dozen users, each granting a scope of its own, so
 * that every one of a user's many events leaves its own mark in the state (a consent entry), and
 * Logto suspensions, each about a user of its own (its mark: the user's last event).
 */
const KAKAO_USERS = 30;
/** Requests per second, sent at a steady pace whatever the answers (as independent senders do). */
const RATE = 70;
/** Streaming before the switch, and after the first acknowledgement that follows it. */
const BEFORE_MS = 2000;
const AFTER_RECOVERY_MS = 2000;
/**
 * Redis's own part, generous: the sentinels elect and promote, and the new master gets a replica
 * in sync (after SENTINEL FAILOVER with one replica, that is the old master, which the sentinels
 * turn into a replica only some 10 to 20 s later: until then WAIT 1 cannot be met, rightly).
 */
const TOPOLOGY_BOUND_MS = 45_000;
/** The service's part: once the new master can take a write WAIT accepts, the processes acknowledge again within this. */
const FOLLOW_BOUND_MS = 10_000;

/** Warnings and errors logged per refused request or per failed attempt of a job: not counted as a flood. */
const PER_REQUEST_OR_ATTEMPT = new Set(['request failed on our side', 'request failed on our side; the sender retries', 'handler failed', 'handler failed; will retry']);
/** Generous: a switch is a handful of episodes (each one line when it starts), never one line per retry. */
const MAX_EPISODE_LINES = 15;

const SCOPE_CONSENT = 'https://schemas.openid.net/secevent/oauth/event-type/user-scope-consent';

const installed = ['redis-server', 'redis-sentinel'].every((command) => spawnSync(command, ['--version']).status === 0);

/** A delivery and the mark it leaves: a Kakao consent's scope, or (Logto) being the user's last event. */
type Marked = Delivery & { scope?: string };

/** A signed SET granting one scope of its own to a Kakao user. */
async function kakaoScopeConsent(key: TestKey, userId: string, scope: string): Promise<Marked> {
  const jti = `sentinel-${userId}-${scope}`;
  const claims = setClaims({
    jti,
    sub: userId,
    events: { [SCOPE_CONSENT]: { subject: { subject_type: 'iss-sub', iss: KAKAO_ISSUER, sub: userId }, scopes: [scope] } },
  });
  return {
    provider: 'kakao',
    userId,
    // src/providers/kakao/set-to-events.ts
    eventId: `kakao-set-${createHash('sha256').update(`${KAKAO_ISSUER}\n${jti}\n${SCOPE_CONSENT}`).digest('hex')}`,
    path: '/webhooks/kakao/account-status',
    headers: { 'content-type': 'application/secevent+jwt', accept: 'application/json' },
    body: await signSet(key, claims),
    scope,
  };
}

/**
 * The stream's deliveries, made as they are sent: Kakao consents (round robin over KAKAO_USERS
 * users, each granting a scope of its own) and Logto suspensions (a user each), alternating.
 */
function deliveryMaker(key: TestKey): (index: number) => Promise<Marked> {
  const seed = `${Date.now()}${String(process.pid).padStart(7, '0')}`.slice(-12);
  return (index) =>
    index % 2 === 0
      ? kakaoScopeConsent(key, `8${seed}${String((index / 2) % KAKAO_USERS).padStart(4, '0')}`, `fault_scope_${index}`)
      : Promise.resolve(logtoUserSuspended(`sentinel-${seed}-${index}`));
}

/** Whether the delivery's mark is in the state. */
function marked(state: AccountState | null, delivery: Marked): boolean {
  if (!state) return false;
  if (delivery.scope) return state.consent[delivery.scope]?.state === 'granted';
  return state.lastEvent?.id === delivery.eventId && state.status.value === 'disabled' && state.sessionsRevokedAt !== null;
}

/** The deliveries whose mark is not in the account state, read once per user through the account API. */
async function withoutMark(baseUrl: string, deliveries: readonly Marked[]): Promise<Marked[]> {
  const byUser = new Map<string, Marked[]>();
  for (const delivery of deliveries) {
    const user = `${delivery.provider}/${encodeURIComponent(delivery.userId)}`;
    byUser.set(user, [...(byUser.get(user) ?? []), delivery]);
  }
  const users = [...byUser.keys()];
  const missing: Marked[] = [];
  let next = 0;
  const lane = async () => {
    while (next < users.length) {
      const user = users[next++]!;
      const response = await fetch(`${baseUrl}/v1/accounts/${user}`, { headers: { authorization: `Bearer ${FAULT_API_TOKEN}` }, signal: AbortSignal.timeout(5000) });
      if (response.status !== 404 && !response.ok) throw new Error(`account API answered ${response.status} for ${user}`);
      const state = response.status === 404 ? null : ((await response.json()) as AccountState);
      missing.push(...byUser.get(user)!.filter((delivery) => !marked(state, delivery)));
    }
  };
  await Promise.all(Array.from({ length: 16 }, lane));
  return missing;
}

/** Polls until every delivery's mark shows (a mark once there stays); throws naming what is missing. */
async function waitForMarks(baseUrl: string, deliveries: readonly Marked[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let missing = [...deliveries];
  for (;;) {
    try {
      missing = await withoutMark(baseUrl, missing);
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (missing.length === 0) return;
    if (Date.now() > deadline) {
      const sample = missing.slice(0, 5).map((delivery) => `${delivery.provider}/${delivery.userId} (${delivery.scope ?? delivery.eventId})`);
      throw new Error(`${missing.length} of ${deliveries.length} events show no effect after ${timeoutMs} ms, e.g. ${sample.join(', ')}`);
    }
    await sleep(250);
  }
}

/**
 * Sends deliveries at `rate` per second, each without waiting for the one before, until `stop()`
 * says so; `attempts` fills as answers come. Resolves with every attempt once all are answered.
 */
async function stream(baseUrl: string, make: (index: number) => Promise<Marked>, rate: number, stop: () => boolean, attempts: Attempt[]): Promise<Attempt[]> {
  const pending: Promise<unknown>[] = [];
  const start = performance.now();
  for (let index = 0; !stop(); index += 1) {
    const wait = start + (index * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    pending.push(make(index).then((delivery) => send(baseUrl, delivery)).then((attempt) => attempts.push(attempt)));
  }
  await Promise.all(pending);
  return attempts;
}

/** Resolves with the time the data node at `address` first has a replica in sync, as WAIT 1 needs. */
async function replicaOnline(address: Address, deadline: number): Promise<number | undefined> {
  const node = new Redis({ ...address, retryStrategy: () => 100, maxRetriesPerRequest: null });
  node.on('error', () => {});
  try {
    while (performance.now() < deadline) {
      if (/^slave\d+:.*state=online/m.test(await node.info('replication'))) return performance.now();
      await sleep(100);
    }
    return undefined;
  } finally {
    node.disconnect();
  }
}

/**
 * Every message of the change feed, as published on any data node: one subscriber per node (a
 * replica passes on what its master publishes), so a message published on a master that is then
 * demoted or killed is seen too.
 */
function watchFeed(setup: OwnSentinelSetup) {
  const announced: AccountChange[] = [];
  const subscribers = setup.nodes.map(({ host, port }) => {
    const subscriber = new Redis({ host, port, retryStrategy: () => 200, maxRetriesPerRequest: null });
    subscriber.on('error', () => {});
    subscriber.on('message', (_channel: string, text: string) => announced.push(JSON.parse(text) as AccountChange));
    return subscriber;
  });
  return {
    announced,
    ready: () => Promise.all(subscribers.map((subscriber) => subscriber.subscribe(REDIS_CHANGES_CHANNEL))),
    close: () => subscribers.forEach((subscriber) => subscriber.disconnect()),
  };
}

/**
 * The event queue as the store holds it, on whichever node the sentinels name master now. Not
 * through a process's /metrics: a process that cannot read the store reports its last counts.
 */
function storeQueue(setup: OwnSentinelSetup, name: string) {
  const connection = new Redis({ sentinels: setup.sentinels.map(({ host, port }) => ({ host, port })), name: setup.masterName, maxRetriesPerRequest: null });
  connection.on('error', () => {});
  const queue = new Queue(name, { connection, prefix: '{bull}' });
  queue.on('error', () => {});
  return {
    /** Until no job waits, runs or is delayed; resolves with the number of failed jobs. */
    async drained(timeoutMs: number): Promise<number> {
      const counts = await waitFor(
        async () => {
          const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed');
          return counts.waiting! + counts.active! + counts.delayed! + counts.prioritized! === 0 ? counts : undefined;
        },
        { timeoutMs, intervalMs: 250, what: 'the worker to take up every job waiting on the new master' },
      );
      return counts.failed!;
    },
    /** Why the failed jobs failed. */
    async failures(): Promise<string[]> {
      return (await queue.getFailed(0, 20)).map((job) => `${job.id} after ${job.attemptsMade} attempts: ${job.failedReason}`);
    },
    async close() {
      await queue.close();
      connection.disconnect();
    },
  };
}

/** /readyz of each process, polled every 200 ms until stopped. */
function watchReadiness(services: ServiceProcess[]) {
  const seen: { role: string; status: number; at: number }[] = [];
  let stopped = false;
  const polling = (async () => {
    while (!stopped) {
      await Promise.all(
        services.map(async (service) => {
          const status = (await fetch(`${service.baseUrl}/readyz`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined))?.status ?? 0;
          seen.push({ role: service.role, status, at: performance.now() });
        }),
      );
      await sleep(200);
    }
  })();
  return {
    seen,
    async stop() {
      stopped = true;
      await polling;
    },
  };
}

interface Switch {
  /** Sentinel setup: replicas of the master. */
  replicas: number;
  /** Makes the master change; resolves once it has been set off. */
  trigger(setup: OwnSentinelSetup): Promise<void>;
}

const CASES: [string, Switch][] = [
  [
    'SENTINEL FAILOVER (1 master, 1 replica)',
    {
      replicas: 1,
      trigger: async (setup) => setup.failover(),
    },
  ],
  [
    'SIGKILL of the master, then promotion by the sentinels (1 master, 2 replicas)',
    {
      replicas: 2,
      trigger: async (setup) => setup.masterNode().kill(),
    },
  ],
];

describe.runIf(installed)('Redis Sentinel: the master changes during a steady stream of webhooks', () => {
  const scene = useFaultScene();

  it.each(CASES)('%s: loses no acknowledged event, announces nothing it lost, follows the new master', { timeout: 150_000 }, async (name, change) => {
    const setup = await scene().sentinel({ replicas: change.replicas, sentinels: 3, masterName: 'webhooks' });
    const key = await scene().kakao();
    const env: Record<string, string> = {
      ...scene().serviceEnv({ REDIS_SENTINELS: setup.sentinelAddresses, REDIS_SENTINEL_MASTER: setup.masterName, REDIS_WAIT_REPLICAS: '1' }),
      // While the new master has no replica, every handler's WAIT fails after REDIS_WAIT_TIMEOUT_MS:
      // retries are spread over a minute (500 ms doubling, 8 attempts), longer than any switch
      // here, so that no acknowledged event is given up on while the topology heals.
      JOB_BACKOFF_MS: '500',
      // A job whose claim went to the old master is taken up again after this, not after BullMQ's 30 s.
      WORKER_LOCK_DURATION_MS: '10000',
    };
    const [receiver, worker] = await Promise.all([scene().service('receiver', env), scene().service('worker', env)]);
    await Promise.all([waitUntilReady(receiver), waitUntilReady(worker)]);
    const feed = watchFeed(setup);
    onTestFinished(() => feed.close());
    await feed.ready();

    // The stream: steady, before, during and after the switch.
    const readiness = watchReadiness([receiver, worker]);
    const attempts: Attempt[] = [];
    const sent: Marked[] = [];
    const make = deliveryMaker(key);
    let stopping = false;
    onTestFinished(() => {
      stopping = true;
    });
    const streamed = stream(receiver.baseUrl, (index) => make(index).then((delivery) => (sent.push(delivery), delivery)), RATE, () => stopping, attempts);
    await sleep(BEFORE_MS);
    const previous = setup.currentMaster();
    const switchAt = performance.now();
    await change.trigger(setup);
    const promoted = await setup.waitForNewMaster(previous, TOPOLOGY_BOUND_MS);
    const promotedAt = performance.now();
    const replicatedAt = await replicaOnline(promoted, switchAt + TOPOLOGY_BOUND_MS);
    // From here on the topology takes writes that WAIT 1 confirms: the processes must follow.
    const writableAt = Math.max(promotedAt, replicatedAt ?? Infinity);
    let recoveredAt: number | undefined;
    while (recoveredAt === undefined && performance.now() < writableAt + FOLLOW_BOUND_MS) {
      recoveredAt = attempts.find((attempt) => acknowledged(attempt) && attempt.sentAt >= promotedAt)?.answeredAt;
      await sleep(50);
    }
    if (recoveredAt !== undefined) await sleep(AFTER_RECOVERY_MS);
    stopping = true;
    await streamed;
    await readiness.stop();

    const ok = attempts.filter(acknowledged);
    const refused = attempts.filter((attempt) => !acknowledged(attempt));
    const counts = new Map<number, number>();
    for (const attempt of attempts) counts.set(attempt.status, (counts.get(attempt.status) ?? 0) + 1);
    const after = (at: number | undefined) => (at === undefined ? 'never' : `${Math.round(at - switchAt)} ms`);
    const unready = (role: string) => readiness.seen.filter((seen) => seen.role === role && seen.status === 503 && seen.at >= switchAt).length;
    console.log(
      `${name}: ${attempts.length} requests (${[...counts].map(([status, count]) => `${status}: ${count}`).join(', ')}); ` +
        `after the switch: new master ${promoted.port} (was ${previous.port}) at ${after(promotedAt)}, with a replica online at ${after(replicatedAt)}, ` +
        `first acknowledgement at ${after(recoveredAt)}, last refusal sent at ${after(Math.max(switchAt, ...refused.map((attempt) => attempt.sentAt)))}; ` +
        `/readyz 503 answers seen: receiver ${unready('receiver')}, worker ${unready('worker')}`,
    );

    // Redis did its part: a new master, and a replica in sync with it, in time.
    expect(replicatedAt, `a replica in sync with the new master within ${TOPOLOGY_BOUND_MS} ms of the switch`).toBeDefined();
    // Every request was answered with success or a refusal the sender retries (503 with
    // Retry-After), or got no answer at all (not acknowledged either): never anything else.
    for (const attempt of attempts) expect(attempt.status === 503 || attempt.status === 0 || acknowledged(attempt), `status ${attempt.status}`).toBe(true);
    for (const attempt of attempts.filter((attempt) => attempt.status === 503)) expect(attempt.retryAfter, 'Retry-After on a 503').toBeTruthy();
    // The switch hit mid-stream: events were acknowledged before it, refused during it, and
    // acknowledged again after it by the same processes, within seconds of the new master taking writes.
    expect(ok.filter((attempt) => attempt.answeredAt < switchAt).length, 'acknowledged before the switch').toBeGreaterThan((BEFORE_MS / 1000) * RATE * 0.5);
    expect(refused.filter((attempt) => attempt.sentAt >= switchAt).length, 'refused during the switch').toBeGreaterThan(0);
    expect(recoveredAt, `an acknowledgement within ${FOLLOW_BOUND_MS} ms of the new master taking writes`).toBeDefined();
    expect(ok.filter((attempt) => attempt.sentAt >= recoveredAt!).length, 'acknowledged after the recovery').toBeGreaterThan((AFTER_RECOVERY_MS / 1000) * RATE * 0.5);
    // /readyz told the truth meanwhile: each process said it could not write at some point of the switch.
    expect(unready('receiver'), '/readyz 503 answers of the receiver during the switch').toBeGreaterThan(0);
    expect(unready('worker'), '/readyz 503 answers of the worker during the switch').toBeGreaterThan(0);

    // Every acknowledged event is in effect, without being sent again: nothing acknowledged was lost.
    const store = storeQueue(setup, env.QUEUE_NAME!);
    onTestFinished(() => store.close());
    const drainFrom = performance.now();
    const failed = await store.drained(30_000);
    console.log(`${name}: queue drained ${Math.round(performance.now() - drainFrom)} ms after the stream ended`);
    await waitForMarks(receiver.baseUrl, ok.map((attempt) => attempt.delivery), 30_000);
    if (failed > 0) expect.fail(`jobs given up on: ${(await store.failures()).join('; ')}`);

    // The feed announced only changes that are in the store (checked before anything is resent).
    const byEventId = new Map(sent.map((delivery) => [delivery.eventId, delivery]));
    const announcedIds = [...new Set(feed.announced.map((change) => change.eventId))];
    expect(announcedIds.length, 'changes announced').toBeGreaterThan(0);
    expect(announcedIds.filter((id) => !byEventId.has(id)), 'announced changes of events never sent').toEqual([]);
    const announcedButLost = await withoutMark(receiver.baseUrl, announcedIds.map((id) => byEventId.get(id)!));
    expect(announcedButLost.map((delivery) => `${delivery.provider}/${delivery.userId} ${delivery.scope ?? delivery.eventId}`), 'announced changes that are not in the store').toEqual([]);
    const announced = new Set(announcedIds);
    console.log(`${name}: ${announced.size} changes announced (${feed.announced.length} messages over ${setup.nodes.length} nodes); ${ok.filter((attempt) => !announced.has(attempt.delivery.eventId)).length} acknowledged events not announced`);

    // The refused ones, sent again as Kakao and Logto would, are acknowledged and take effect too.
    await resendUntilAcknowledged(receiver.baseUrl, refused.map((attempt) => attempt.delivery));
    await waitForMarks(receiver.baseUrl, sent, 30_000);

    // Both processes say they can write again, without a restart, and neither flooded its log.
    for (const service of [receiver, worker]) {
      expect((await fetch(`${service.baseUrl}/readyz`)).status, `/readyz of --role ${service.role}`).toBe(200);
      expect(service.child.exitCode, `--role ${service.role} still running`).toBeNull();
      // One line per refused request and per failed attempt of a job is expected; anything else
      // (connection and worker errors) is logged once per episode, not once per retry.
      const episodes = new Map<string, number>();
      for (const line of service.output().split('\n').filter((line) => /"level":[45]\d/.test(line))) {
        const msg = /"msg":"([^"]*)"/.exec(line)?.[1] ?? line.slice(0, 200);
        if (!PER_REQUEST_OR_ATTEMPT.has(msg)) episodes.set(msg, (episodes.get(msg) ?? 0) + 1);
      }
      const logged = [...episodes.values()].reduce((sum, count) => sum + count, 0);
      console.log(`${name}: --role ${service.role}: warnings and errors other than per request or per attempt: ${JSON.stringify(Object.fromEntries(episodes))}`);
      expect(logged, `--role ${service.role}'s other warnings and errors: ${JSON.stringify(Object.fromEntries(episodes))}`).toBeLessThanOrEqual(MAX_EPISODE_LINES);
    }
  });
});
