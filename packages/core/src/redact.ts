// Matches `scheme://user:password@` and `scheme://token@` in connection strings.
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^/\s:@]*)(?::([^/\s@]*))?@/gi;
// Matches password-like query/keyword parameters: `password=…`, `pwd=…`, `secret=…`, `token=…`.
const KEY_VALUE_SECRET =
  /\b(password|passwd|pwd|secret|token|apikey|api_key|accesskey|secretaccesskey)=([^&\s;,]+)/gi;

/**
 * Redacts credentials inside `text`: the password of any `scheme://user:password@host`
 * (and bare `scheme://token@host`), and `password=`/`secret=`/`token=` parameters.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(
      URL_CREDENTIALS,
      (_match, scheme: string, user: string, password: string | undefined) =>
        password === undefined ? `${scheme}***@` : `${scheme}${user}:***@`,
    )
    .replace(KEY_VALUE_SECRET, (_match, key: string) => `${key}=***`);
}
