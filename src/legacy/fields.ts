// legacy.fields: computed values added to each row at the source (split and join names,
// coalesce with defaults, flags from truthiness or a set timestamp, lower/trim, constants,
// lists of groups). Declarative and checked at start; no expression is ever evaluated.
// Because they run once at the source, legacy check, login, the outbox and the import see
// the same value.
import type { FieldTransform } from '../config/schema.ts';
import { LegacyConfigError } from './errors.ts';
import { readFlag, valueAsText } from './row-values.ts';

export type Fields = Record<string, FieldTransform>;

/** The names a transform reads: columns of the row, or fields declared before it. */
export function fieldInputs(t: FieldTransform): string[] {
  if (t.column) return [t.column];
  if (t.split) return [t.split];
  if (t.join) return t.join;
  if (t.coalesce) return t.coalesce;
  if (t.set) return [t.set];
  if (t.truthy) return [t.truthy];
  if (t.list) return [t.list];
  return [];
}

/**
 * Checks the fields against the names a row will hold (`available`, undefined when the
 * store cannot say); throws LegacyConfigError naming the key. `queries` says whether the
 * kind can run a `query` field.
 */
export function checkFields(
  fields: Fields,
  available: ReadonlySet<string> | undefined,
  queries: boolean,
  secrets: readonly string[] = [],
): void {
  const known = new Set(available ?? []);
  for (const [name, t] of Object.entries(fields)) {
    const key = `legacy.fields.${name}`;
    // A field is a claim or a target value: it must never carry the hash, the salt or a TOTP secret.
    const secret = fieldInputs(t).find((input) => secrets.includes(input));
    if (secret !== undefined) {
      throw new LegacyConfigError(
        key,
        `${key} reads ${secret}, which holds a password hash, salt or secret. Fix: read another column; the bridge never copies a secret into a claim or a payload.`,
      );
    }
    if (t.query !== undefined && !queries) {
      throw new LegacyConfigError(
        key,
        `${key}: a query field needs kind sql. Fix: read the groups from a field of the user (list:), or remove it.`,
      );
    }
    if (available) {
      for (const input of fieldInputs(t)) {
        if (!known.has(input)) {
          throw new LegacyConfigError(
            key,
            `${key} reads ${input}, which is neither a column of the legacy rows nor a field declared before it. Fix: name an existing column, or declare that field first.`,
            { column: input },
          );
        }
      }
    }
    known.add(name);
  }
}

function present(value: unknown, emptyAsMissing: boolean): boolean {
  if (value === null || value === undefined) return false;
  if (emptyAsMissing && typeof value === 'string' && value.trim() === '') return false;
  if (Array.isArray(value) && value.length === 0) return false;
  return true;
}

function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object' && !Buffer.isBuffer(value)) return JSON.stringify(value);
  return valueAsText(value);
}

function words(value: unknown): string[] {
  return (text(value) ?? '').trim().split(/\s+/).filter(Boolean);
}

function splitPart(value: unknown, part: FieldTransform['part']): string | null {
  const w = words(value);
  if (w.length === 0) return null;
  switch (part) {
    case 'first':
      return w[0]!;
    case 'rest':
      return w.slice(1).join(' ');
    case 'last':
      return w.length > 1 ? w[w.length - 1]! : '';
    case 'all_but_last':
      return w.length > 1 ? w.slice(0, -1).join(' ') : w[0]!;
  }
}

function list(value: unknown, separator: string | undefined): string[] {
  if (Array.isArray(value)) return value.map((v) => text(v) ?? '').filter(Boolean);
  const t = text(value);
  if (t === null || t.trim() === '') return [];
  if (separator === 'json' || (separator === undefined && /^\s*\[/.test(t))) {
    try {
      const parsed = JSON.parse(t) as unknown;
      return Array.isArray(parsed) ? parsed.map((v) => text(v) ?? '').filter(Boolean) : [];
    } catch {
      return [];
    }
  }
  return t
    .split(separator ?? ',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function compute(t: FieldTransform, row: Record<string, unknown>): unknown {
  if (t.column) return row[t.column];
  if (t.split) return splitPart(row[t.split], t.part);
  if (t.join) {
    const parts = t.join.map((c) => text(row[c])?.trim()).filter((v): v is string => !!v);
    return parts.length ? parts.join(t.separator ?? ' ') : null;
  }
  if (t.coalesce) return t.coalesce.map((c) => row[c]).find((v) => present(v, t.empty_as_missing)) ?? null;
  if (t.set) return present(row[t.set], t.empty_as_missing);
  if (t.truthy) return readFlag(row[t.truthy]) ?? false;
  if (t.constant !== undefined) return t.constant;
  if (t.list) return list(row[t.list], t.separator);
  return null;
}

function finish(t: FieldTransform, value: unknown): unknown {
  let v = value;
  if (typeof v === 'string') {
    if (t.trim) v = (v as string).trim();
    if (t.lower) v = (v as string).toLowerCase();
  }
  if (!present(v, t.empty_as_missing)) return t.default ?? (t.list || t.query ? [] : null);
  return v;
}

/**
 * The row with every field computed, in declared order (a field may read an earlier one).
 * `precomputed` holds the values of query fields, which the sql kind reads itself.
 */
export function applyFields(
  row: Record<string, unknown>,
  fields: Fields,
  precomputed: Record<string, unknown> = {},
): Record<string, unknown> {
  const out = { ...row };
  for (const [name, t] of Object.entries(fields)) {
    out[name] = finish(t, t.query !== undefined ? list(precomputed[name], undefined) : compute(t, out));
  }
  return out;
}
