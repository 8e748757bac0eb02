// The one rule for the case of login names, per identifier column: a column listed in
// legacy.case_insensitive (and any column named email) is matched without regard to case,
// every other one exactly. The legacy lookup before migration and the bridge's own login
// names after it both follow it, so a user matches the same way on either side.
import type { LegacyConfig } from '../config/schema.ts';

/** The identifier columns matched without regard to case. */
export function caseInsensitiveColumns(
  config: Pick<LegacyConfig, 'identifiers' | 'case_insensitive'>,
): Set<string> {
  return new Set([...config.case_insensitive, ...config.identifiers.filter((c) => c === 'email')]);
}
