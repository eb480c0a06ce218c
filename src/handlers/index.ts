import type { HandlerRegistry } from './registry.js';

/**
 * The place to add your own handlers when you work in this repository; they run beside the
 * built-in ones (the account state, see src/accounts/ and BUILT_IN_HANDLERS). Without a fork,
 * pass them to startReceiver() (src/start-receiver.ts) or mount a HANDLERS_MODULE file. Event
 * names are typed: a misspelled name does not compile, and `event.data` is typed for the names
 * you register. Handlers may run more than once for one event (retries), so make them
 * idempotent; throw PermanentError (src/errors.ts) when retrying cannot help. See README.md,
 * "Adding handlers".
 */
export function registerHandlers(registry: HandlerRegistry): void {
  // Example: react to one event type.
  // registry.on('kakao.user-unlinked', async (event, { log }) => {
  //   log.info({ user: event.subject?.id, reason: event.data.reason }, 'user unlinked the app');
  // });
  // registry.on('kakao.talk-channel.blocked', async (event) => {
  //   await channels.markBlocked(event.data.channel_public_id, event.data.id, new Date(event.occurredAt));
  // });
  // registry.on('logto.Organization.Membership.Updated', async (event) => {
  //   await addMembers(event.data.organizationId, event.data.addedUserIds ?? []); // typed string[]
  // });

  registry.onError((error, { log }) => {
    log.warn({ eventId: error.event.id, failures: error.errors.length }, 'handler failed');
  });
}
