import type { Provider } from '../events/envelope.js';
import { changeKinds, changeMessage, mergeUpdate } from './merge.js';
import { emptyAccount, type AccountChange, type AccountUpdate, type StoredAccount } from './model.js';

/**
 * Where the account state lives: one implementation per store (stores/redis-store.ts,
 * stores/sql-store.ts). Nothing else reads or writes its keys or tables.
 */
export interface AccountStateStore {
  /** Merges one event's update; resolves with the change published, or null when nothing changed. */
  apply(update: AccountUpdate): Promise<AccountChange | null>;
  get(provider: Provider, userId: string): Promise<StoredAccount | null>;
  /** In the order asked; null for users with no state. */
  getMany(keys: readonly { provider: Provider; userId: string }[]): Promise<(StoredAccount | null)[]>;
  /** The change feed of every process that writes to this store. */
  changes: ChangeSource;
  close(): Promise<void>;
}

export interface ChangeSubscriber {
  onChange(change: AccountChange): void;
  /**
   * The feed may have missed changes (its connection dropped). Subscribers that cache state must
   * drop it; the SSE route ends its streams so that clients reconnect and start over.
   */
  onInterrupt(): void;
}

export interface ChangeSource {
  /** Resolves once the subscription is live; the returned function unsubscribes. */
  subscribe(subscriber: ChangeSubscriber): Promise<() => void>;
}

/** A stored document and the version it was read at; version 0 means "absent". */
export interface Versioned {
  account: StoredAccount;
  version: number;
}

/** The two primitives a store provides; `applyWithRetry` builds `apply` from them. */
export interface CasStore {
  read(provider: Provider, userId: string): Promise<Versioned>;
  /** Writes `account` if the stored version is still `version`, publishing `message` with it. */
  writeIfVersion(provider: Provider, userId: string, version: number, account: StoredAccount, message: AccountChange): Promise<boolean>;
}

const MAX_ATTEMPTS = 50;

/**
 * Optimistic concurrency: read, merge, write only if nobody wrote in between, else read again.
 * Two workers applying events of one user concurrently both end up merged; the merge itself is
 * order-independent, so which one writes first does not matter.
 */
export async function applyWithRetry(store: CasStore, update: AccountUpdate): Promise<AccountChange | null> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    const { account, version } = await store.read(update.provider, update.userId);
    const next = mergeUpdate(account, update);
    const kinds = changeKinds(account, next);
    // Nothing changed: a duplicate, or older than what is stored. (A first event always changes
    // something: it becomes lastEvent.)
    if (kinds.length === 0) return null;
    const message = changeMessage(update, next, kinds);
    if (await store.writeIfVersion(update.provider, update.userId, version, next, message)) return message;
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
  }
  throw new Error(`account state of ${update.provider} user kept changing under ${MAX_ATTEMPTS} attempts; the job retries`);
}

/** Parses a stored document, tolerating parts a newer version added. */
export function parseStoredAccount(json: string | object): StoredAccount {
  const parsed = (typeof json === 'string' ? JSON.parse(json) : json) as Partial<StoredAccount>;
  return { ...emptyAccount(), ...parsed };
}

/** Fans changes out to in-process subscribers; the building block of every ChangeSource. */
export function createLocalChangeHub() {
  const subscribers = new Set<ChangeSubscriber>();
  return {
    add(subscriber: ChangeSubscriber): () => void {
      subscribers.add(subscriber);
      return () => subscribers.delete(subscriber);
    },
    publish(change: AccountChange) {
      for (const subscriber of subscribers) subscriber.onChange(change);
    },
    interrupt() {
      for (const subscriber of subscribers) subscriber.onInterrupt();
    },
  };
}
