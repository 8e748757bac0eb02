// The start-time check of the configured password schemes and where filters: a typo
// (`atuo`), an expression that does not parse or a where key that is not a column name is a
// config error naming the key and the fix, instead of a failure at every login. Kept apart
// from load.ts so that the hashing registry is its only dependency.
import { checkScheme } from '../hashing/registry.ts';
import type { LegacyConfig } from './schema.ts';

export function checkLegacySchemes(legacy: LegacyConfig | undefined): string[] {
  if (!legacy) return [];
  const issues: string[] = [];
  for (const column of Object.keys(legacy.where ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(column))
      issues.push(
        `legacy.where.${column}: ${JSON.stringify(column)} is not a plain column name. Fix: use a column of legacy.table (letters, digits and underscores), e.g. where: { active: 1 }.`,
      );
  }
  const problem = checkScheme(legacy.password.scheme);
  if (problem) issues.push(`legacy.password.scheme: ${problem}.`);
  for (const [value, scheme] of Object.entries(legacy.password.schemes ?? {})) {
    const p = checkScheme(scheme);
    if (p) issues.push(`legacy.password.schemes.${value}: ${p}.`);
  }
  if (legacy.password.schemes && !legacy.columns.scheme) {
    issues.push(
      "legacy.password.schemes: is set, but legacy.columns.scheme is not. Fix: set legacy.columns.scheme to the column naming each row's algorithm, or remove legacy.password.schemes.",
    );
  }
  if (legacy.columns.scheme && !legacy.password.schemes) {
    issues.push(
      "legacy.columns.scheme: is set, but legacy.password.schemes does not map its values. Fix: add legacy.password.schemes, e.g. { bcrypt: bcrypt, pbkdf2: 'pbkdf2_sha256(password, salt, 10000, 50)' }.",
    );
  }
  return issues;
}
