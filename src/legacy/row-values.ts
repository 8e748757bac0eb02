// Turns raw driver values into text the rest of the bridge can use. Legacy schemas keep
// hashes and salts in VARCHAR, CHAR, VARBINARY or BINARY columns; a verifier wants one
// string form whatever the column type was.

/** Printable UTF-8 (no control characters other than tab): a text value kept in a binary column. */
function isPrintableUtf8(buf: Buffer): boolean {
  const text = buf.toString('utf8');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: detecting control characters is the point
  return Buffer.from(text, 'utf8').equals(buf) && !/[\u0000-\u0008\u000a-\u001f\u007f]/.test(text);
}

/**
 * A column value as text, or null for SQL NULL. Binary values holding printable text (a
 * bcrypt string in VARBINARY) stay that text; raw digest bytes (MD5 in BINARY(16)) become
 * lowercase hex, the form hex-digest verifiers read.
 */
export function valueAsText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return isPrintableUtf8(value) ? value.toString('utf8') : value.toString('hex');
  if (value instanceof Uint8Array) return valueAsText(Buffer.from(value));
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  return String(value);
}

/** True when the driver handed back a numeric id (INT columns), so pages compare numerically. */
export function isNumericValue(value: unknown): boolean {
  return typeof value === 'number' || typeof value === 'bigint';
}
