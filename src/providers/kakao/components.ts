import { RECEIVER_ROLES, type Component } from '../../composition/component.js';
import { registerJwksCollector } from '../../observability/collectors.js';
import type { WebhookProvider } from '../provider.js';
import { KAKAO_ACCOUNT_STATUS_PATH, kakaoAccountStatusRoute } from './account-status-route.js';
import { KAKAO_ADMIN_ENDPOINTS, kakaoAdminRoutes } from './admin-routes.js';
import { createKeyResolver, type KeyResolver } from './jwks.js';

declare module '../../composition/component.js' {
  interface Services {
    /** Kakao's JWKS: when the account status endpoint is configured (KAKAO_AUDIENCE). */
    kakaoKeys: KeyResolver;
    /** The first fetch of the JWKS, started while the store opens. */
    kakaoKeysWarm: Promise<unknown>;
  }
}

/** Fetches Kakao's keys while the store opens, then refreshes them in the background until closed. */
export const kakaoJwksComponent: Component = {
  name: 'kakao-jwks',
  roles: RECEIVER_ROLES,
  start({ config, logger, metrics }) {
    if (!config.kakaoAccountStatus) return;
    const kakaoKeys = createKeyResolver(config.kakaoAccountStatus.jwks, logger.child({ component: 'kakao-jwks' }), {
      onFetch: (outcome) => metrics.jwksFetches.inc({ outcome }),
    });
    return { provides: { kakaoKeys, kakaoKeysWarm: kakaoKeys.warmUp() }, close: () => kakaoKeys.close() };
  },
};

/** POST /webhooks/kakao/account-status (Security Event Tokens); ready once Kakao's keys are in. */
export const kakaoAccountStatusComponent: Component = {
  name: 'kakao-account-status',
  roles: RECEIVER_ROLES,
  async start({ config, metrics, use }) {
    const routeConfig = config.kakaoAccountStatus;
    if (!routeConfig) return;
    const keys = use('kakaoKeys');
    const queue = use('eventQueue');
    await use('kakaoKeysWarm');
    registerJwksCollector(metrics, keys);
    return {
      routes: {
        plugin: (app) => kakaoAccountStatusRoute(app, { config: routeConfig, bodyLimit: config.http.bodyLimit, keys, queue, metrics }),
        endpoints: [`POST ${KAKAO_ACCOUNT_STATUS_PATH}`],
      },
      // The receiver needs Kakao's keys to verify anything.
      readiness: [{ name: 'kakao-jwks', check: () => keys.hasKeys() }],
    };
  },
};

/** Unlink, Talk Channel and Talk Share, authenticated by the admin key (KAKAO_ADMIN_KEYS). */
export const kakaoAdminComponent: Component = {
  name: 'kakao-admin',
  roles: RECEIVER_ROLES,
  start({ config, metrics, use }) {
    const adminConfig = config.kakaoAdmin;
    if (!adminConfig) return;
    const queue = use('eventQueue');
    return {
      routes: {
        plugin: (app) => kakaoAdminRoutes(app, { config: adminConfig, bodyLimit: config.http.bodyLimit, queue, metrics }),
        endpoints: KAKAO_ADMIN_ENDPOINTS,
      },
    };
  },
};

export const kakao: WebhookProvider = {
  name: 'kakao',
  early: [kakaoJwksComponent],
  receivers: [kakaoAccountStatusComponent, kakaoAdminComponent],
};
