import { startReceiver } from 'kakao-logto-webhook-receiver';
import handlers from './handlers.js';

/**
 * The service started from your own code: it reads the same variables as `npm start` and the
 * image (PORT, REDIS_URL, KAKAO_AUDIENCE, ...; see the receiver's README, "Configuration") and
 * runs your handlers beside the built-in account state.
 */
const receiver = await startReceiver({ handlers });

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    // In-flight requests and active jobs finish, then the store closes.
    receiver.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
