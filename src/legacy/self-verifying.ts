// What the kinds that check passwords themselves (http, ldap) share: the mapping shows and
// the claims read the profile the store answered, and no last-login fact is known. A kind
// that cannot list its users (http) adds unlisted(), so the bulk import and the cut-over
// total say so and what to do instead; ldap pages through its directory itself.
import { LegacyNotSupportedError } from './errors.ts';
import { describeMapping, type MappingEntry, mapClaims } from './mapping.ts';
import type { LegacySource } from './types.ts';

type Shared = Pick<
  LegacySource,
  'countActiveSince' | 'checkSchema' | 'describeMapping' | 'mapClaims' | 'ping' | 'close'
>;

/** page and count of a store that cannot list its users: refused, saying what to do instead. */
export function unlisted(
  kind: string,
  /** Why the store cannot list its users, as the end of a sentence. */
  why: string,
): Pick<LegacySource, 'page' | 'count'> {
  const notListed = (what: string) =>
    new LegacyNotSupportedError(
      `The ${kind} legacy source cannot ${what}: ${why}. Users migrate at their first login; to import them all at once, export them to a table and use legacy.kind: sql.`,
    );
  return {
    async page() {
      throw notListed('list its users for the bulk import');
    },
    async count() {
      throw notListed('count its users');
    },
  };
}

export function selfVerifyingParts(opts: {
  entries: MappingEntry[];
  claims: Record<string, string>;
  ping(): Promise<void>;
}): Shared {
  return {
    async countActiveSince() {
      return undefined;
    },
    checkSchema: () => opts.ping(),
    describeMapping: (row) => describeMapping(row.row, opts.entries, []),
    mapClaims: (row) => mapClaims(row.row, opts.claims),
    ping: () => opts.ping(),
    async close() {},
  };
}
