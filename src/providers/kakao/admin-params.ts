import { rejected } from '../../errors.js';
import { parseJsonObject } from '../read-payload.js';

/**
 * The parameters of an admin-key webhook, read only after the key was checked: from the query
 * string on GET, and on POST from the raw body the plugin's parser kept as a string, as
 * `application/x-www-form-urlencoded` or JSON (Kakao does not document which).
 * Form and query values are strings, or arrays of strings for a repeated name; JSON values are
 * whatever the JSON held.
 */
export type Params = Record<string, unknown>;

export interface RawRequest {
  method: string;
  /** The request target, query string included. */
  url: string;
  contentType: string | undefined;
  body: unknown;
}

export function readParams(request: RawRequest): Params {
  if (request.method === 'GET') {
    const at = request.url.indexOf('?');
    return formToParams(at === -1 ? '' : request.url.slice(at + 1));
  }
  if (typeof request.body !== 'string' || request.body.trim() === '') {
    throw rejected('ERR_PAYLOAD_INVALID', 'expected a form-encoded or JSON body');
  }
  return mediaType(request.contentType) === 'application/json' ? parseJsonObject(request.body) : formToParams(request.body);
}

function formToParams(text: string): Params {
  // A Map, then fromEntries: a name like `__proto__` or `toString` stays an ordinary own key.
  const params = new Map<string, string | string[]>();
  for (const [name, value] of new URLSearchParams(text)) {
    const seen = params.get(name);
    params.set(name, seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value]);
  }
  return Object.fromEntries(params);
}

const mediaType = (contentType: string | undefined) => contentType?.split(';')[0]?.trim().toLowerCase();
