// Sorting one legacy row for the bulk import: importable as it is (a stored hash the target
// takes without a re-hash), needs a login (any other hash), or rejected (a field the target
// refuses, or a hash nobody can use). Pure: no I/O, so the dry run and the real run sort
// every row the same way.
import { UnusableHashError } from '../errors.ts';
import { detectScheme, targetFormOf, verifierById } from '../hashing/registry.ts';
import type { DigestForm } from '../hashing/types.ts';
import type { LegacyRow } from '../legacy/types.ts';
import type { BulkImport, BulkUser, Problem } from '../target/types.ts';

export type ImportGroup = 'importable' | 'needs_login' | 'rejected';

export type PlannedRow =
  | { group: 'importable'; scheme: string; user: BulkUser }
  /** `user` is set only when importing without a password (`--without-password`). */
  | { group: 'needs_login'; scheme: string; user: BulkUser | undefined }
  | { group: 'rejected'; scheme: string; problems: Problem[] };

export interface PlanOptions {
  /** `legacy.password.scheme`: auto, a verifier id, or a scheme expression. */
  scheme: string;
  /** The target's bulk import: which hashes it takes, and the payload of a row. */
  bulk: BulkImport;
  withoutPassword: boolean;
  /**
   * The scheme of a source that checks passwords itself (an LDAP bind): a row it gives no
   * hash for is no broken row but a user that store checks at the first login.
   */
  verifiedBySource?: string | undefined;
}

const DIGEST_IDS = new Set(['bare_digest', 'salted_digest']);

/** A name an operator recognises: the digest for pass-through hashes, else the verifier id. */
function schemeLabel(stored: string, salt: string | undefined, configured: string, form?: DigestForm) {
  if (configured !== 'auto') return configured;
  const verifier = detectScheme(stored, salt);
  if (!verifier) return 'unknown';
  if (form && DIGEST_IDS.has(verifier.id)) return form.salt ? `${form.algorithm} (salted)` : form.algorithm;
  return verifier.id;
}

/** The scheme label planRow gives a stored hash, for figures that must match the import's. */
export function schemeOf(stored: string, salt: string | undefined, configured = 'auto'): string {
  if (stored.trim() === '') return 'none';
  let form: DigestForm | undefined;
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
  if (stored === '' && opts.verifiedBySource) {
    const built = opts.bulk.build({ legacyId: row.id, row: row.row, claims: {} }, null);
    if (!built.ok) return { group: 'rejected', scheme: opts.verifiedBySource, problems: built.problems };
    return {
      group: 'needs_login',
      scheme: opts.verifiedBySource,
      user: opts.withoutPassword ? built.user : undefined,
    };
  }
  if (stored === '') {
    return { group: 'rejected', scheme: 'none', problems: [{ field: 'password', reason: 'hash is empty' }] };
  }
  let form: string | undefined;
  try {
    form = opts.bulk.passwordFromHash(stored, row.salt, configured);
  } catch (err) {
    // A malformed hash is a fact about the row; a bad expression is a config error and stops the run.
    if (!(err instanceof UnusableHashError)) throw err;
    return {
      group: 'rejected',
      scheme: err.scheme ?? 'unknown',
      problems: [{ field: 'password', reason: `hash unusable (${err.reason})` }],
    };
  }
  const scheme = schemeOf(stored, row.salt, configured);
  // A hash no password can match (a bcrypt cut short by a narrow column) would wait forever
  // for a login: rejected, with the row's field problems beside it.
  let hashProblem: Problem | undefined;
  if (!form) {
    try {
      (configured === 'auto' ? detectScheme(stored, row.salt) : verifierById(configured))?.check?.(stored);
    } catch (err) {
      if (!(err instanceof UnusableHashError)) throw err;
      hashProblem = { field: 'password', reason: `hash unusable (${err.reason})` };
    }
  }
  if (!form && scheme === 'unknown') {
    return {
      group: 'rejected',
      scheme,
      problems: [{ field: 'password', reason: 'hash in no known format' }],
    };
  }
  // Field rules are checked for every row, so a row the target would refuse is reported
  // now, whatever its hash; the stand-in password of a needs-login row is never sent.
  const built = opts.bulk.build({ legacyId: row.id, row: row.row, claims: {} }, form ?? null);
  if (!built.ok)
    return {
      group: 'rejected',
      scheme,
      problems: [...built.problems, ...(hashProblem ? [hashProblem] : [])],
    };
  if (hashProblem) return { group: 'rejected', scheme, problems: [hashProblem] };
  if (form) return { group: 'importable', scheme, user: built.user };
  return { group: 'needs_login', scheme, user: opts.withoutPassword ? built.user : undefined };
}

/** One CSV field, quoted when it must be (RFC 4180). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
