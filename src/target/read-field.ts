// The one place a target field is read from a legacy row: the column the mapping names (or
// the target's built-in one), converted to the field's type, else the configured constant.
// Every target format resolves its fields through readField, so a richer mapping (transforms
// over several columns) plugs in here once for all of them.
import { LegacyRowError } from '../errors.ts';

export interface FieldSpec<T> {
  /** The target field, as the operator names it in `target.mapping`. */
  field: string;
  /** The legacy column that feeds it; undefined or "" when none does. */
  column?: string | undefined;
  /** True when the operator named the column: then a column missing from the row is an error. */
  explicit?: boolean | undefined;
  /** The constant from `target.defaults`, used when the column is absent, NULL or unreadable. */
  fallback?: unknown;
  /** The field's type: a value, or null when the input cannot be read as one. */
  convert: (value: unknown) => T | null;
  /** `target.empty_as_missing`: an empty or blank string counts as NULL, so the constant applies. */
  emptyAsMissing?: boolean | undefined;
}

export interface FieldValue<T> {
  value: T | null;
  /** True when a column feeds the field (even if it held NULL). */
  mapped: boolean;
}

/**
 * Throws LegacyRowError when a column the operator named is not in the row: a configuration
 * mistake, where a built-in column missing (another table may lack `birthday`) is only NULL.
 */
export function readField<T>(row: Record<string, unknown>, spec: FieldSpec<T>): FieldValue<T> {
  const column = spec.column || undefined;
  if (column !== undefined && !Object.hasOwn(row, column) && spec.explicit) {
    throw new LegacyRowError(`The legacy row has no column "${column}" (target.mapping.${spec.field}).`, {
      field: spec.field,
      column,
    });
  }
  const raw = column === undefined ? undefined : row[column];
  const missing =
    isNullish(raw) || (spec.emptyAsMissing === true && typeof raw === 'string' && raw.trim() === '');
  const fromColumn = missing ? null : spec.convert(raw);
  if (fromColumn !== null) return { value: fromColumn, mapped: column !== undefined };
  const fallback = isNullish(spec.fallback) ? null : spec.convert(spec.fallback);
  return { value: fallback, mapped: column !== undefined };
}

export function isNullish(v: unknown): v is null | undefined {
  return v === null || v === undefined;
}
