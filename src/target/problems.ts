// Problems a target finds in a payload, as one line for logs, outbox rows and CLI output.
import type { Problem } from './types.ts';

/** `legacy row 28774: first_name is required (got null); last_name is required (got null)`. */
export function describeProblems(problems: readonly Problem[], legacyId: string): string {
  return `legacy row ${legacyId}: ${problems.map((p) => `${p.field} ${p.reason}`).join('; ')}`;
}
