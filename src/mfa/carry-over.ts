// The legacy TOTP secret of a user being migrated: read and checked before the migration's
// transaction (so a secret that will not open stops the sign-in and writes nothing), kept
// sealed in the same transaction as the account. A secret that will not open is logged
// with its reason and answered like an outage: the user must not come in without it.
import type { Knex } from 'knex';
import type { LegacyConfig } from '../config/schema.ts';
import { LegacyUnavailableError } from '../errors.ts';
import type { LegacyRow } from '../legacy/types.ts';
import type { Logger } from '../logger.ts';
import { createLegacyTotpReader, LegacyTotpError } from './legacy-totp.ts';
import type { SecondFactors } from './second-factors.ts';
import type { TotpParams } from './totp.ts';

export interface TotpCarryOver {
  /** The secret of the row, undefined when it has none; throws LegacyUnavailableError when unreadable. */
  prepare(row: LegacyRow): TotpParams | undefined;
  save(trx: Knex, sub: string, totp: TotpParams): Promise<void>;
}

/** Undefined when no TOTP column is configured. Throws ConfigError for a wrong key, at start. */
export function createTotpCarryOver(
  legacy: LegacyConfig | undefined,
  factors: SecondFactors,
  logger: Logger,
): TotpCarryOver | undefined {
  if (!legacy?.columns.totp_secret) return undefined;
  const reader = createLegacyTotpReader(legacy.totp);
  return {
    prepare(row) {
      try {
        return reader.read(row.totpSecret);
      } catch (err) {
        if (!(err instanceof LegacyTotpError)) throw err;
        logger.error(
          { legacy_id: row.id, reason: err.reason, key: 'legacy.totp' },
          'legacy TOTP secret cannot be read; sign-in refused until legacy.totp is fixed',
        );
        throw new LegacyUnavailableError('The legacy TOTP secret of this account cannot be read.');
      }
    },
    save: (trx, sub, totp) => factors.carryOver(trx, sub, totp),
  };
}
