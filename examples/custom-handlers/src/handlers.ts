import { defineHandlers, PermanentError } from 'kakao-logto-webhook-receiver';

/**
 * Your handlers. `defineHandlers` types the registry: event names are checked, and `event.data`
 * has the fields of the names you register. Handlers run again on a retry, so they must be
 * idempotent; a PermanentError ends the retries at once.
 *
 * Compiled to dist/handlers.js, this module also extends the stock image unchanged:
 * HANDLERS_MODULE=/app/handlers.js with the file mounted there.
 */
export default defineHandlers((registry) => {
  registry.on('kakao.user-unlinked', async (event, { log }) => {
    // Kakao user ids exceed 2^53: they stay strings.
    log.info({ user: event.subject?.id, reason: event.data.reason ?? 'unspecified' }, 'example: user unlinked');
  });

  registry.on(['kakao.account-purged', 'logto.User.Deleted'], async (event, { log }) => {
    if (!event.subject) throw new PermanentError(`${event.type} names no user`);
    log.info({ provider: event.provider, user: event.subject.id }, 'example: delete what we keep about this user');
  });

  registry.on('logto.Organization.Membership.Updated', async (event, { log }) => {
    const added: string[] = event.data.addedUserIds ?? [];
    log.info({ organization: event.data.organizationId, added: added.length }, 'example: organization members added');
  }, { name: 'organization-members' });

  registry.onError((error, { log }) => {
    log.error({ eventId: error.event.id, failures: error.errors.length }, 'example: a handler failed');
  });
});
