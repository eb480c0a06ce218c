import { randomBytes } from 'node:crypto';
import type { KakaoAdminEventName } from '../../providers/kakao/admin-webhook-events.js';
import { KAKAO_TALK_CHANNEL_PATH, KAKAO_TALK_SHARE_PATH, KAKAO_UNLINK_PATH } from '../../providers/kakao/admin-routes.js';
import { deepMerge } from './deep-merge.js';
import { SEND_USER_AGENT, type TestEventInput, type TestRequest } from './test-request.js';

/**
 * Kakao's admin-key webhooks (unlink, Kakao Talk Channel, Kakao Talk Share), with the
 * parameters Kakao sends and `Authorization: KakaoAK <admin key>`. `--data` merges into the
 * parameters: what handlers see as `data`.
 */
export interface KakaoAdminCredentials {
  adminKey: string;
  appId: string;
}

export const KAKAO_ADMIN_PATHS: Record<KakaoAdminEventName, string> = {
  'kakao.unlinked': KAKAO_UNLINK_PATH,
  'kakao.talk-channel.added': KAKAO_TALK_CHANNEL_PATH,
  'kakao.talk-channel.blocked': KAKAO_TALK_CHANNEL_PATH,
  'kakao.talk-share.sent': KAKAO_TALK_SHARE_PATH,
};

function sampleParams(name: KakaoAdminEventName, input: TestEventInput, appId: string): Record<string, unknown> {
  switch (name) {
    case 'kakao.unlinked':
      return { app_id: appId, user_id: input.user, referrer_type: 'UNLINK_FROM_APPS' };
    case 'kakao.talk-channel.added':
    case 'kakao.talk-channel.blocked':
      return {
        event: name === 'kakao.talk-channel.added' ? 'added' : 'blocked',
        id: input.user,
        id_type: 'app_user_id',
        channel_public_id: '_devChannel',
        channel_uuid: '@devchannel',
        updated_at: input.now.toISOString(),
      };
    case 'kakao.talk-share.sent':
      // Kakao's own parameters; every other one is a serverCallbackArgs entry of the share.
      return { CHAT_TYPE: 'MemoChat', HASH_CHAT_ID: randomBytes(16).toString('hex'), TEMPLATE_ID: '100000', sharer: input.user };
  }
}

/** A fresh delivery id, shaped like Kakao's (24 url-safe characters): every send is a new event. */
const resourceId = () => randomBytes(18).toString('base64url');

export function kakaoAdminRequest(name: KakaoAdminEventName, input: TestEventInput, credentials: KakaoAdminCredentials): TestRequest {
  const params = deepMerge(sampleParams(name, input, credentials.appId), input.data);
  // The Channel webhook is JSON; the others go as a form, as Kakao's docs show them, unless
  // --data made a value a form cannot carry.
  const asForm = name !== 'kakao.talk-channel.added' && name !== 'kakao.talk-channel.blocked' && Object.values(params).every((value) => typeof value === 'string');
  return {
    method: 'POST',
    path: KAKAO_ADMIN_PATHS[name],
    headers: {
      authorization: `KakaoAK ${credentials.adminKey}`,
      'content-type': asForm ? 'application/x-www-form-urlencoded' : 'application/json',
      accept: 'application/json',
      'user-agent': SEND_USER_AGENT,
      ...(name === 'kakao.unlinked' ? {} : { 'x-kakao-resource-id': resourceId() }),
    },
    body: asForm ? new URLSearchParams(params as Record<string, string>).toString() : JSON.stringify(params),
  };
}
