// The registry of legacy source kinds: `legacy.kind` → the folder that implements it. Adding
// a kind is one folder under src/legacy/, its schema section and one line here.
import type { Knex } from 'knex';
import type { LegacyConfig } from '../config/schema.ts';
import type { Logger } from '../logger.ts';
import { createHttpSource } from './http/index.ts';
import { createLdapSource } from './ldap/index.ts';
import { createSqlSource } from './sql/index.ts';
import type { LegacySource } from './types.ts';

export { LegacyConfigError, LegacyNotSupportedError } from './errors.ts';
export { describeSecretShape, mapClaims } from './mapping.ts';
export type { LegacyRow, LegacySource, MappingLine, SourceVerdict } from './types.ts';

export interface LegacySourceDeps {
  logger?: Logger;
  /** kind sql: an existing knex instance (the demo's seeded PGlite). The source does not close it. */
  knex?: Knex;
  /**
   * kind sql: read the columns from the catalog before the first query, to check the
   * configuration and pick comparisons. Default true; false trusts the config blindly.
   */
  probeSchema?: boolean;
}

const KINDS: Record<LegacyConfig['kind'], (config: LegacyConfig, deps: LegacySourceDeps) => LegacySource> = {
  sql: createSqlSource,
  http: createHttpSource,
  ldap: createLdapSource,
};

export function createLegacySource(config: LegacyConfig, deps: LegacySourceDeps = {}): LegacySource {
  return KINDS[config.kind](config, deps);
}
