// What a first login writes, for tests that start from a waiting delivery: the account and
// its delivery job in one transaction, sealed by the same functions the login uses.
import type { Knex } from 'knex';
import { createAccounts } from '../../src/migration/accounts.ts';
import { enqueueDelivery, sealDelivery } from '../../src/migration/outbox.ts';
import type { SecretBox } from '../../src/security/secret-box.ts';
import type { TargetFormat } from '../../src/target/types.ts';

export interface SeedDeps {
  target: TargetFormat;
  box: SecretBox;
}

/** Returns the sub and the password form the job holds, opened. */
export async function seedDelivery(
  db: Knex,
  deps: SeedDeps,
  row: Record<string, unknown>,
  password: string,
  claims: Record<string, unknown> = { email: row.email },
): Promise<{ sub: string; secret: string | null }> {
  const sub = String(row.id);
  const sealed = await sealDelivery(row, password, deps);
  await db.transaction(async (trx) => {
    await createAccounts(db).insert(trx, {
      sub,
      legacyId: sub,
      passwordHash: null,
      claims,
      source: 'legacy',
      legacyScheme: 'bcrypt',
      identifiers: [row.username, row.email].filter((v) => v != null).map(String),
    });
    await enqueueDelivery(trx, { sub, payload: { legacy_id: sub }, ...sealed });
  });
  return { sub, secret: sealed.secret === null ? null : deps.box.open(sealed.secret) };
}

/** Empties what deliveries leave in a store, between tests that share it. */
export async function clearDeliveries(db: Knex): Promise<void> {
  await db('outbox').del();
  await db('account_identifiers').del();
  await db('accounts').del();
}
