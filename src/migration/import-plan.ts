// Sorting one legacy row for the bulk import: importable as it is (an md5/sha1/sha256 hash
// the target takes without a re-hash), needs a login (any other hash), or rejected (a field
// the target refuses, or a hash nobody can use). Pure: no I/O, so the dry run and the real
// run sort every row the same way.
import { UnusableHashError } from '../errors.ts';
import { detectScheme, targetFormOf } from '../hashing/registry.ts';
import type { TargetPasswordForm } from '../hashing/types.ts';
import type { LegacyRow } from '../legacy/types.ts';
import {
  buildTargetUserFromForm,
  buildTargetUserWithoutPassword,
  type Problem,
  type TargetAlgorithm,
  type TargetUser,
  validateTargetUser,
} from './payload.ts';

export type ImportGroup = 'importable' | 'needs_login' | 'rejected';

export type PlannedRow =
  | { group: 'importable'; scheme: string; user: TargetUser }
  /** `user` is set only when importing without a password (`--without-password`). */
  | { group: 'needs_login'; scheme: string; user: TargetUser | undefined }
  | { group: 'rejected'; scheme: string; problems: Problem[] };

export interface PlanOptions {
  /** `legacy.password.scheme`: auto, a verifier id, or a scheme expression. */
  scheme: string;
  mapping?: Record<string, string> | undefined;
  defaults?: Record<string, unknown> | undefined;
  /** The algorithm of the unusable password sent with `--without-password`. */
  passwordAlgorithm: TargetAlgorithm;
  withoutPassword: boolean;
}

const DIGEST_IDS = new Set(['bare_digest', 'salted_digest']);

/** A name an operator recognises: the digest for pass-through hashes, else the verifier id. */
function schemeLabel(
  stored: string,
  salt: string | undefined,
  configured: string,
  form?: TargetPasswordForm,
) {
  if (configured !== 'auto') return configured;
  const verifier = detectScheme(stored, salt);
  if (!verifier) return 'unknown';
  if (form && DIGEST_IDS.has(verifier.id)) return form.salt ? `${form.algorithm} (salted)` : form.algorithm;
  return verifier.id;
}

/** The scheme label planRow gives a stored hash, for figures that must match the import's. */
export function schemeOf(stored: string, salt: string | undefined, configured = 'auto'): string {
  if (stored.trim() === '') return 'none';
  let form: TargetPasswordForm | undefined;
  try {
    form = targetFormOf(stored.trim(), salt, configured);
  } catch {
    form = undefined;
  }
  return schemeLabel(stored.trim(), salt, configured.trim() || 'auto', form);
}

export function planRow(row: LegacyRow, opts: PlanOptions): PlannedRow {
  const stored = row.password?.trim() ?? '';
  const configured = opts.scheme.trim() || 'auto';
  const build = { mapping: opts.mapping, defaults: opts.defaults, legacyId: row.id };
  if (stored === '') {
    return { group: 'rejected', scheme: 'none', problems: [{ field: 'password', reason: 'hash is empty' }] };
  }
  let form: TargetPasswordForm | undefined;
  try {
    form = targetFormOf(stored, row.salt, configured);
  } catch (err) {
    // A malformed hash is a fact about the row; a bad expression is a config error and stops the run.
    if (!(err instanceof UnusableHashError)) throw err;
    return {
      group: 'rejected',
      scheme: err.scheme ?? 'unknown',
      problems: [{ field: 'password', reason: `hash unusable (${err.reason})` }],
    };
  }
  const scheme = schemeLabel(stored, row.salt, configured, form);
  if (!form && scheme === 'unknown') {
    return {
      group: 'rejected',
      scheme,
      problems: [{ field: 'password', reason: 'hash in no known format' }],
    };
  }
  // Field rules are checked for every row, so a row the target would refuse is reported
  // now, whatever its hash; the stand-in password of a needs-login row is never sent.
  const user = form
    ? buildTargetUserFromForm(row.row, { ...build, form })
    : buildTargetUserWithoutPassword(row.row, { ...build, passwordAlgorithm: opts.passwordAlgorithm });
  const checked = validateTargetUser(user);
  if (!checked.ok) return { group: 'rejected', scheme, problems: checked.problems };
  if (form) return { group: 'importable', scheme, user: checked.user };
  return { group: 'needs_login', scheme, user: opts.withoutPassword ? checked.user : undefined };
}

/** `sha1$ab12…$3f9c…` → `sha1$<salt: 4 chars>$<hash: 40 hex>`: the shape, never the value. */
export function maskTargetPassword(password: string): string {
  const [algorithm, salt = '', hash = ''] = password.split('$');
  return `${algorithm}$${salt ? `<salt: ${salt.length} chars>` : ''}$<hash: ${hash.length} hex>`;
}

/** One CSV field, quoted when it must be (RFC 4180). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
