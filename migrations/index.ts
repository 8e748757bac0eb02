// The ordered list of store migrations. A static list (rather than a directory scan) so the
// same migrations load under tsx, vitest and compiled dist/ alike.
import type { Knex } from 'knex';
import * as oidcPayloads from './20261122000100_oidc-payloads.ts';
import * as clientsAndKeys from './20261122000200_clients-and-keys.ts';
import * as accounts from './20261122000300_accounts.ts';
import * as outbox from './20261122000400_outbox.ts';
import * as auditEvents from './20261122000500_audit-events.ts';
import * as outboxLease from './20261122000600_outbox-lease.ts';
import * as rateLimits from './20261122000700_rate-limits.ts';
import * as consoleRollups from './20261201081011_console-rollups.ts';
import * as secondFactors from './20261201081220_second-factors.ts';
import * as consentsAndLogouts from './20261201081221_consents-and-logouts.ts';
import * as outboxSealedRow from './20261201081312_outbox-sealed-row.ts';
import * as identifierCase from './20261201111500_identifier-case.ts';
import * as passwordResetsAndMail from './20261201111500_password-resets-and-mail.ts';
import * as outboxIdempotencyKey from './20261201114000_outbox-idempotency-key.ts';
import * as importRunAndLeases from './20261201150000_import-run-and-leases.ts';

interface Migration {
  up(db: Knex): Promise<void>;
  down(db: Knex): Promise<void>;
}

const migrations: Array<[string, Migration]> = [
  ['20261122000100_oidc-payloads', oidcPayloads],
  ['20261122000200_clients-and-keys', clientsAndKeys],
  ['20261122000300_accounts', accounts],
  ['20261122000400_outbox', outbox],
  ['20261122000500_audit-events', auditEvents],
  ['20261122000600_outbox-lease', outboxLease],
  ['20261122000700_rate-limits', rateLimits],
  ['20261201081011_console-rollups', consoleRollups],
  ['20261201081312_outbox-sealed-row', outboxSealedRow],
  ['20261201081220_second-factors', secondFactors],
  ['20261201081221_consents-and-logouts', consentsAndLogouts],
  ['20261201111500_identifier-case', identifierCase],
  ['20261201111500_password-resets-and-mail', passwordResetsAndMail],
  ['20261201114000_outbox-idempotency-key', outboxIdempotencyKey],
  ['20261201150000_import-run-and-leases', importRunAndLeases],
];

export const migrationNames = migrations.map(([name]) => name);

export const migrationSource: Knex.MigrationSource<[string, Migration]> = {
  getMigrations: async () => migrations,
  getMigrationName: ([name]) => name,
  getMigration: async ([, m]) => m,
};
