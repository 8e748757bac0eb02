// Legacy columns → OIDC claims, and the operator's view of that mapping for `legacy check`.
// The hash and salt columns are never a claim and are shown only as length and shape, so a
// mapping mistake cannot put a hash into a token or onto a terminal.
import { readFlag, valueAsText } from './row-values.ts';
import type { MappingLine } from './types.ts';

// OIDC Core 5.1 types: these two are booleans, updated_at is seconds since the epoch,
// birthdate is YYYY-MM-DD. Values arrive normalized (row-values.ts): timestamps as ISO text.
const BOOLEAN_CLAIMS = new Set(['email_verified', 'phone_number_verified']);
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function claimValue(claim: string, value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (BOOLEAN_CLAIMS.has(claim)) return readFlag(value);
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean') return value;
  if (Array.isArray(value)) {
    const items = value.map((v) => valueAsText(v)?.trim()).filter((v): v is string => !!v);
    return items.length ? items : undefined;
  }
  if (typeof value === 'object' && !Buffer.isBuffer(value) && !(value instanceof Date)) return value;
  const text = valueAsText(value)?.trim();
  if (!text) return undefined;
  if (ISO_TIMESTAMP.test(text)) {
    if (claim === 'updated_at') return Math.floor(Date.parse(text) / 1000);
    if (claim === 'birthdate') return text.slice(0, 10);
  }
  return text;
}

export interface MapClaimsOptions {
  /** Columns that must never become a claim: the hash and salt columns. */
  exclude?: readonly string[];
}

/**
 * The OIDC claims of a raw legacy row: claim ← column under `claims`. NULL, empty and
 * unreadable values are left out. The legacy table has no verified flag, so email_verified
 * is emitted only when a column is mapped to it. `name` is composed from given_name and
 * family_name when both are present and no column is mapped to it.
 */
export function mapClaims(
  row: Record<string, unknown>,
  claims: Record<string, string>,
  options: MapClaimsOptions = {},
): Record<string, unknown> {
  const exclude = new Set(options.exclude ?? []);
  const out: Record<string, unknown> = {};
  for (const [claim, column] of Object.entries(claims)) {
    if (exclude.has(column) || !Object.hasOwn(row, column)) continue;
    const value = claimValue(claim, row[column]);
    if (value !== undefined) out[claim] = value;
  }
  if (out.name === undefined && typeof out.given_name === 'string' && typeof out.family_name === 'string') {
    out.name = `${out.given_name} ${out.family_name}`;
  }
  return out;
}

// Scheme markers a hash may begin with. Only these are ever echoed: a prefix outside the list
// could be part of the secret itself (a "salt$hash" layout).
const KNOWN_PREFIXES: RegExp[] = [
  /^\$(2[abxy]?|1|5|6|7|y|gy|apr1|P|H|argon2id|argon2i|argon2d|scrypt|pbkdf2(-sha\d+)?|sha1|md5|bcrypt-sha256)\$/,
  /^\{(SSHA|SHA|MD5|SMD5|SSHA256|SSHA512|SHA256|SHA512|CRYPT|BCRYPT|ARGON2|PBKDF2(-SHA\d+)?)\}/i,
  /^(pbkdf2_sha256|pbkdf2_sha1|argon2|bcrypt_sha256|bcrypt|sha1|md5|unsalted_md5|unsalted_sha1|scrypt)\$/,
];

/**
 * Length and shape of a secret value, never the value: "60 characters, starts with $2y$",
 * "32 characters, hexadecimal (lowercase)", "NULL".
 */
export function describeSecretShape(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  // A binary column is described as the text a verifier receives (see valueAsText).
  const binary = Buffer.isBuffer(value) ? ' (binary column)' : '';
  return `${shapeOf(valueAsText(value) ?? '')}${binary}`;
}

function shapeOf(text: string): string {
  if (text === '') return 'empty';
  const length = `${[...text].length} characters`;
  for (const re of KNOWN_PREFIXES) {
    const m = re.exec(text);
    if (m) return `${length}, starts with ${m[0]}`;
  }
  if (/^[0-9a-f]+$/.test(text)) return `${length}, hexadecimal (lowercase)`;
  if (/^[0-9A-F]+$/.test(text)) return `${length}, hexadecimal (uppercase)`;
  if (/^[0-9a-fA-F]+$/.test(text)) return `${length}, hexadecimal (mixed case)`;
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(text) && text.length % 4 === 0) return `${length}, base64`;
  if (/\s/.test(text)) return `${length}, contains whitespace`;
  return `${length}, no known format`;
}

const MAX_SHOWN = 120;

/** A printable rendering of a non-secret column value. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'invalid date' : value.toISOString();
  if (Buffer.isBuffer(value)) return `${value.length} bytes, binary`;
  if (Array.isArray(value) || (typeof value === 'object' && !(value instanceof Date)))
    return JSON.stringify(value).slice(0, MAX_SHOWN);
  if (typeof value === 'string') {
    const shown = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value;
    return JSON.stringify(shown);
  }
  return String(value);
}

/** One configured mapping: the key that sets it, what it feeds, and the column it reads. */
export type MappingEntry = [key: string, role: string, column: string];

/** The claims and fields lines every kind shows after its own (id, hash, identifiers…). */
export function commonEntries(
  claims: Record<string, string>,
  fields: Record<string, unknown>,
): MappingEntry[] {
  const entries: MappingEntry[] = [];
  for (const [claim, column] of Object.entries(claims))
    entries.push([`legacy.claims.${claim}`, `claim ${claim}`, column]);
  for (const name of Object.keys(fields)) entries.push([`legacy.fields.${name}`, 'field', name]);
  return entries;
}

/**
 * Each configured mapping with the column it reads and the value found, for `legacy check`.
 * The secret columns (hash, salt, TOTP), wherever they are mapped, show only length and shape.
 */
export function describeMapping(
  row: Record<string, unknown>,
  entries: MappingEntry[],
  secretColumns: readonly string[],
): MappingLine[] {
  const secret = new Set(secretColumns);
  return entries.map(([key, role, column]) => {
    const present = Object.hasOwn(row, column);
    const value = !present
      ? 'column not in row'
      : secret.has(column)
        ? describeSecretShape(row[column])
        : describeValue(row[column]);
    return { key, role, column, present, value };
  });
}
