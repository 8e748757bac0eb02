// Reading legacy column values as the types target fields take: text, booleans, JSON-safe
// values. Drivers differ (mysql2 tinyint and BIT(1) buffers, pg booleans, PGlite strings),
// so each reader accepts all of their shapes; a value it cannot read is null, never a guess.
// Rows from a legacy source arrive already converted (src/legacy/row-values.ts).
import { readFlag } from '../legacy/row-values.ts';

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function jsonSafe(v: unknown): unknown {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return v;
}

export function toText(v: unknown): string | null {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (Buffer.isBuffer(v)) return v.toString('utf8').trim();
  return null;
}

/** Text, with the empty string read as no value. */
export function toNonEmptyText(v: unknown): string | null {
  const text = toText(v);
  return text === '' ? null : text;
}

/**
 * tinyint, BIT(1), booleans, their words, and a set timestamp (Laravel's email_verified_at)
 * as true; anything unclear is false. The one rule of legacy/row-values.ts, for every path.
 */
export function toBoolean(v: unknown): boolean {
  return readFlag(v) ?? false;
}

/** JSON-safe copy of a legacy row: Dates to ISO strings, Buffers to hex, bigints to strings. */
export function snapshotColumns(
  row: Record<string, unknown>,
  columns: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of columns) {
    if (!Object.hasOwn(row, k)) continue;
    const v = row[k];
    if (v instanceof Date) out[k] = Number.isNaN(v.getTime()) ? null : v.toISOString();
    else if (Buffer.isBuffer(v)) out[k] = v.toString('hex');
    else if (typeof v === 'bigint') out[k] = v.toString();
    else out[k] = v;
  }
  return out;
}
