// Legacy values converted once, at the source, into the JSON-safe form every later reader
// sees: `legacy check`, the claims, the outbox snapshot taken at login, the worker and the
// bulk import. A driver's shapes (mysql2 BIT(1) buffers and tinyints, pg booleans and int8
// strings, Dates, SQLite integers) end here, so one row reads the same on every path.

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

/**
 * One value in the form the rest of the bridge reads:
 * - a timestamp: ISO 8601 in UTC; MySQL's zero date 0000-00-00: null;
 * - BIT(n) (mysql2 gives a Buffer): its number, so BIT(1) is 0 or 1 like a tinyint;
 * - other binary: its text (see valueAsText);
 * - a bigint: its exact decimal string; a non-finite number: null;
 * - everything else (strings, finite numbers, booleans, JSON objects, arrays) as it is.
 */
export function normalizeValue(value: unknown, bit = false): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value instanceof Uint8Array) {
    const buf = Buffer.isBuffer(value) ? value : Buffer.from(value);
    // A one-byte 0 or 1 is a BIT(1) flag whatever the catalog says: no hash is one byte long.
    if ((bit && buf.length <= 6) || (buf.length === 1 && buf[0]! <= 1)) {
      return buf.length === 0 ? 0 : buf.readUIntBE(0, buf.length);
    }
    return valueAsText(buf);
  }
  return value;
}

/** A whole row through normalizeValue; `bitColumns` are those the catalog calls BIT. */
export function normalizeRow(
  raw: Record<string, unknown>,
  bitColumns: ReadonlySet<string> = new Set(),
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) out[k] = normalizeValue(v, bitColumns.has(k));
  return out;
}

const TRUE_TEXT = new Set(['1', 'true', 't', 'yes', 'y', 'on']);
const FALSE_TEXT = new Set(['0', 'false', 'f', 'no', 'n', 'off', '']);
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/**
 * A normalized value read as a flag: booleans, 0/1 (tinyint, BIT(1)), their words, and a
 * set timestamp (Laravel's email_verified_at) as true. undefined when it reads as neither.
 */
export function readFlag(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  if (typeof value === 'bigint') return value !== 0n;
  if (value instanceof Date) return !Number.isNaN(value.getTime());
  if (Buffer.isBuffer(value)) return value.some((b) => b !== 0);
  if (typeof value !== 'string') return undefined;
  const text = value.trim().toLowerCase();
  if (TRUE_TEXT.has(text)) return true;
  if (FALSE_TEXT.has(text)) return false;
  if (ISO_TIMESTAMP.test(value.trim())) return true;
  return undefined;
}
