import { readDevSecrets, type DevKakaoSecrets, type DevSecrets } from '../../dev/secrets.js';
import type { SendSettings } from './send-env.js';

/**
 * What signs or authenticates each kind of test event:
 * - Kakao SETs: always the development key (DATA_DIR/dev/secrets.json). No other private key
 *   exists here, and only development mode trusts this one.
 * - Kakao admin webhooks and Logto: the configured key (KAKAO_ADMIN_KEYS, LOGTO_SIGNING_KEYS)
 *   when set, so a deployed instance can be tested; otherwise the development one.
 * The secrets file is read only when an event needs it, so a configured key works without it.
 */
export interface SendCredentials {
  kakaoSigning(): DevKakaoSecrets;
  kakaoAdmin(): { adminKey: string; appId: string };
  logtoSigningKey(): string;
}

/**
 * The app id of an unlink sent with a configured admin key but no KAKAO_APP_ID: a receiver
 * without KAKAO_APP_ID accepts any; one with it needs KAKAO_APP_ID set here too.
 */
export const PLACEHOLDER_APP_ID = '1000000';

export function sendCredentials(settings: SendSettings): SendCredentials {
  let secrets: DevSecrets | undefined;
  const dev = () => (secrets ??= readDevSecrets(settings.dataDir));
  return {
    kakaoSigning: () => dev().kakao,
    kakaoAdmin: () =>
      settings.kakaoAdminKey
        ? { adminKey: settings.kakaoAdminKey, appId: settings.kakaoAppId ?? PLACEHOLDER_APP_ID }
        : { adminKey: dev().kakao.adminKey, appId: settings.kakaoAppId ?? dev().kakao.appId },
    logtoSigningKey: () => settings.logtoSigningKey ?? dev().logto.signingKey,
  };
}
