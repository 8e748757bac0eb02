// Which login names and ids are ever sent to a legacy store, whatever its kind: a value that
// cannot be anyone's login name never reaches SQL, an HTTP endpoint or an LDAP filter.

/** Longer login names are not looked up: no legacy store holds one, and they cost it. */
export const MAX_IDENTIFIER_LENGTH = 16_384;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * A value that cannot be anyone's login name or id: empty, too long, broken UTF-16, or with
 * control characters. MariaDB's UCA collations ignore NUL, so 'bob\0' would find bob;
 * PostgreSQL refuses NUL in text outright, and a NUL ends a C string in a directory.
 */
export function isLookupValue(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_IDENTIFIER_LENGTH &&
    !LONE_SURROGATE.test(value) &&
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
    !/[\u0000-\u001f\u007f-\u009f]/.test(value)
  );
}
