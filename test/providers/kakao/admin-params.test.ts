import { describe, expect, it } from 'vitest';
import { ReceiverError } from '../../../src/errors.js';
import { readParams } from '../../../src/providers/kakao/admin-params.js';

const post = (body: unknown, contentType = 'application/x-www-form-urlencoded') => ({ method: 'POST', url: '/x', contentType, body });

describe('readParams', () => {
  it('reads a GET query string, repeated names as arrays, + and %-escapes decoded', () => {
    expect(readParams({ method: 'GET', url: '/x?a=1&b=x+y%21&a=2&c=', contentType: undefined, body: undefined })).toEqual({ a: ['1', '2'], b: 'x y!', c: '' });
    expect(readParams({ method: 'GET', url: '/x', contentType: undefined, body: undefined })).toEqual({});
  });

  it('reads a form body; names like __proto__ and toString stay ordinary keys', () => {
    const params = readParams(post('__proto__=a&__proto__=b&toString=c'));
    expect(Object.getPrototypeOf(params)).toBe(Object.prototype);
    expect(Object.keys(params)).toEqual(['__proto__', 'toString']);
    expect(params.toString).toBe('c');
  });

  it('reads a JSON body by its media type, parameters ignored', () => {
    expect(readParams(post('{"a":1,"b":"x"}', 'Application/JSON; charset=utf-8'))).toEqual({ a: 1, b: 'x' });
  });

  it.each([
    ['no body', post(undefined)],
    ['a blank body', post('  ')],
    ['malformed JSON', post('{"a":', 'application/json')],
    ['a JSON array', post('[]', 'application/json')],
    ['JSON null', post('null', 'application/json')],
    ['a JSON string', post('"a=1"', 'application/json')],
  ])('refuses %s with ERR_PAYLOAD_INVALID (400)', (_name, request) => {
    let thrown: unknown;
    try {
      readParams(request);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ReceiverError);
    expect(thrown).toMatchObject({ code: 'ERR_PAYLOAD_INVALID', statusCode: 400 });
  });
});
