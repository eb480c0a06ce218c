import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { createSigner } from '../../src/forwarding/sign.js';
import { newSecret } from '../helpers/forward-target.js';

const BODY = JSON.stringify({ id: 'evt_01', type: 'kakao.user-unlinked', data: { user: '한글 ✓' } });
const ID = 'evt_01';

describe('createSigner', () => {
  it('signs so that the standardwebhooks library verifies the delivery', () => {
    const secret = newSecret();
    const headers = createSigner([secret])(ID, BODY, new Date());
    expect(headers['webhook-id']).toBe(ID);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(BODY, headers)).toEqual(JSON.parse(BODY));
  });

  it('signs with every secret: either verifies during a rotation, in the order given', () => {
    const [newest, oldest] = [newSecret(), newSecret()];
    const at = new Date();
    const headers = createSigner([newest, oldest])(ID, BODY, at);
    const signatures = headers['webhook-signature'].split(' ');
    expect(signatures).toHaveLength(2);
    for (const signature of signatures) expect(signature).toMatch(/^v1,/);
    expect(signatures).toEqual([new Webhook(newest).sign(ID, at, BODY), new Webhook(oldest).sign(ID, at, BODY)]);
    expect(new Webhook(newest).verify(BODY, headers)).toEqual(JSON.parse(BODY));
    expect(new Webhook(oldest).verify(BODY, headers)).toEqual(JSON.parse(BODY));
  });

  it('fails verification with an unrelated secret', () => {
    const headers = createSigner([newSecret(), newSecret()])(ID, BODY, new Date());
    expect(() => new Webhook(newSecret()).verify(BODY, headers)).toThrow(WebhookVerificationError);
  });

  it('fails verification when the body, the id or the timestamp is changed', () => {
    const secret = newSecret();
    const headers = createSigner([secret])(ID, BODY, new Date());
    const webhook = new Webhook(secret);
    expect(() => webhook.verify(BODY.replace('evt_01', 'evt_02'), headers)).toThrow(/No matching signature/);
    expect(() => webhook.verify(`${BODY} `, headers)).toThrow(/No matching signature/);
    expect(() => webhook.verify(BODY, { ...headers, 'webhook-id': 'evt_02' })).toThrow(/No matching signature/);
    expect(() => webhook.verify(BODY, { ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) - 1) })).toThrow(/No matching signature/);
  });

  it('sends the attempt time in whole seconds', () => {
    const headers = createSigner([newSecret()])(ID, BODY, new Date(1_700_000_123_999));
    expect(headers['webhook-timestamp']).toBe('1700000123');
    expect(createSigner([newSecret()])(ID, BODY, new Date(1_700_000_124_000))['webhook-timestamp']).toBe('1700000124');
  });

  it('signs with the given time: a minute old verifies, ten minutes old does not (the 5-minute tolerance)', () => {
    const secret = newSecret();
    const sign = createSigner([secret]);
    expect(new Webhook(secret).verify(BODY, sign(ID, BODY, new Date(Date.now() - 60_000)))).toEqual(JSON.parse(BODY));
    expect(() => new Webhook(secret).verify(BODY, sign(ID, BODY, new Date(Date.now() - 10 * 60_000)))).toThrow(/too old/);
  });

  it('keeps the event id as webhook-id on every attempt, with a fresh timestamp and signature', () => {
    const secret = newSecret();
    const sign = createSigner([secret]);
    const first = sign(ID, BODY, new Date(Date.now() - 120_000));
    const second = sign(ID, BODY, new Date());
    expect(second['webhook-id']).toBe(first['webhook-id']);
    expect(second['webhook-timestamp']).not.toBe(first['webhook-timestamp']);
    expect(second['webhook-signature']).not.toBe(first['webhook-signature']);
  });
});
