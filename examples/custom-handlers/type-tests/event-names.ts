import { defineHandlers, type EventOf, type HandlerRegistry } from 'kakao-logto-webhook-receiver';

/**
 * Type tests, checked by `npm run typecheck` and never run. Each `@ts-expect-error` states that
 * the line below must not compile: if it ever did, the directive would be unused and tsc fails.
 */
export default defineHandlers((registry) => {
  // @ts-expect-error a misspelled event name does not compile (the name is kakao.user-unlinked)
  registry.on('kakao.user-unlink', () => {});

  // @ts-expect-error nor does one misspelled inside a list
  registry.on(['kakao.account-purged', 'logto.User.Delete'], () => {});

  registry.on('kakao.user-unlinked', (event) => {
    const reason: string | undefined = event.data.reason;
    // @ts-expect-error event.data is typed for the registered name: an unlink carries no member list
    const members: string[] | undefined = event.data.addedUserIds;
    void reason;
    void members;
  });
});

/** The registry type is exported too, for handler modules that do not use defineHandlers. */
export function register(registry: HandlerRegistry): void {
  registry.on('logto.User.Deleted', (event: EventOf<'logto.User.Deleted'>) => void event.subject);
}
