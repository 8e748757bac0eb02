// The reset flow's one use of the legacy source: find the user an identifier names (under
// the same `where` rule as login, which the source applies), read the e-mail address its
// claims map to, and read the row again by id when the reset completes. Kept apart so that
// a change of the legacy source's interface touches this file only.
import type { LegacyRow, LegacySource } from '../legacy/source.ts';

export interface LegacyResetUser {
  legacyId: string;
  email: string | undefined;
  row: LegacyRow;
}

function emailOf(legacy: LegacySource, row: LegacyRow): string | undefined {
  const email = legacy.mapClaims(row).email;
  return typeof email === 'string' && email.includes('@') ? email : undefined;
}

/** The legacy user an identifier names, or undefined when none passes the filter. */
export async function findForReset(
  legacy: LegacySource,
  identifier: string,
): Promise<LegacyResetUser | undefined> {
  const row = await legacy.findByIdentifier(identifier);
  return row ? { legacyId: row.id, email: emailOf(legacy, row), row } : undefined;
}

/** The legacy user a reset link is bound to, read again when it is used. */
export async function loadForReset(
  legacy: LegacySource,
  legacyId: string,
): Promise<LegacyResetUser | undefined> {
  const row = await legacy.findById(legacyId);
  return row ? { legacyId: row.id, email: emailOf(legacy, row), row } : undefined;
}
