// What the kinds that check passwords themselves (http, ldap) share: they list and count no
// users, so the bulk import and the cut-over total say so and what to do instead; the
// mapping shows and the claims read the profile the store answered.
import { LegacyNotSupportedError } from './errors.ts';
import { describeMapping, type MappingEntry, mapClaims } from './mapping.ts';
import type { LegacySource } from './types.ts';

type Shared = Pick<
  LegacySource,
  'page' | 'count' | 'countActiveSince' | 'checkSchema' | 'describeMapping' | 'mapClaims' | 'ping' | 'close'
>;

export function selfVerifyingParts(opts: {
  kind: string;
  /** Why the store cannot list its users, as the end of a sentence. */
  why: string;
  entries: MappingEntry[];
  claims: Record<string, string>;
  ping(): Promise<void>;
}): Shared {
  const notListed = (what: string) =>
    new LegacyNotSupportedError(
      `The ${opts.kind} legacy source cannot ${what}: ${opts.why}. Users migrate at their first login; to import them all at once, export them to a table and use legacy.kind: sql.`,
    );
  return {
    async page() {
      throw notListed('list its users for the bulk import');
    },
    async count() {
      throw notListed('count its users');
    },
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
