// U+0000 (PostgreSQL text cannot hold it) or an unpaired UTF-16 surrogate (PostgreSQL rejects it,
// MariaDB and MongoDB silently replace it with U+FFFD: the stored id would not be the published one).
const UNSTORABLE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The one string rule of every provider for ids, types, partition keys and headers: `undefined`
 * when `value` can be stored and read back unchanged everywhere, else what is wrong with it.
 */
export function storableStringProblem(value: string): string | undefined {
  const nul = value.indexOf('\u0000');
  if (nul >= 0) return `must not contain U+0000 (at index ${nul})`;
  const match = UNSTORABLE.exec(value);
  if (match === null) return undefined;
  return `must not contain an unpaired UTF-16 surrogate (at index ${match.index}); send well-formed Unicode`;
}
