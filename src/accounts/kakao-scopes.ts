/**
 * Which stored profile fields each Kakao consent item (scope) covers, so that withdrawing the
 * item deletes exactly its data. Field names follow Kakao's user API (`GET /v2/user/me`,
 * https://developers.kakao.com/docs/latest/en/kakaologin/rest-api#req-user-info), the only
 * naming Kakao documents; a `user-profile-changed` event's fields are stored under these names.
 */
export const KAKAO_SCOPE_FIELDS: Readonly<Record<string, readonly string[]>> = {
  account_email: ['email', 'is_email_valid', 'is_email_verified'],
  profile_nickname: ['nickname'],
  profile_image: ['profile_image_url', 'thumbnail_image_url', 'is_default_image'],
  name: ['name'],
  gender: ['gender'],
  age_range: ['age_range'],
  birthday: ['birthday', 'birthday_type', 'is_leap_month'],
  birthyear: ['birthyear'],
  phone_number: ['phone_number'],
  account_ci: ['ci', 'ci_authenticated_at'],
};

/** The fields tied to the given scopes; scopes without stored fields add none. */
export function fieldsOfScopes(scopes: readonly string[]): string[] {
  return [...new Set(scopes.flatMap((scope) => KAKAO_SCOPE_FIELDS[scope] ?? []))];
}

/**
 * The scope list of a consent event. Kakao's field name is unconfirmed: `scope` or `scopes`, an
 * array or a space-separated string (as OAuth writes scopes); all four are read.
 */
export function scopesOf(data: { scope?: unknown; scopes?: unknown }): string[] {
  const raw = [data.scope, data.scopes].flatMap((value) => (Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/) : []));
  return [...new Set(raw.filter((scope): scope is string => typeof scope === 'string' && scope.length > 0))];
}
