// The bridge's own accounts: queries only. An account has a stable sub, the identifiers a
// user logs in with (stored lower-cased), an argon2id hash and the mapped claims. A
// migrated account and its delivery job are written in one transaction (see outbox.ts).
import type { Knex } from 'knex';

export interface AccountRow {
  sub: string;
  legacy_id: string | null;
  password_hash: string | null;
  claims: Record<string, unknown>;
  source: 'legacy' | 'import' | 'local';
  legacy_scheme: string | null;
  legacy_fingerprint: string | null;
  migrated_at: Date | null;
  imported_at: Date | null;
  last_login_at: Date | null;
  created_at: Date;
  /** Set while the account is disabled: it cannot log in. */
  disabled_at?: Date | null;
}

export interface NewAccount {
  sub: string;
  legacyId?: string | null;
  passwordHash: string | null;
  claims: Record<string, unknown>;
  source: AccountRow['source'];
  legacyScheme?: string | null;
  legacyFingerprint?: string | null;
  identifiers: string[];
}

export function normalizeIdentifier(identifier: string): string {
  return identifier.normalize('NFC').trim().toLowerCase();
}

export function createAccounts(db: Knex) {
  return {
    async findByIdentifier(identifier: string): Promise<AccountRow | undefined> {
      return db('account_identifiers as i')
        .join('accounts as a', 'a.sub', 'i.sub')
        .where('i.identifier', normalizeIdentifier(identifier))
        .first('a.*');
    },

    async findBySub(sub: string): Promise<AccountRow | undefined> {
      return db('accounts').where({ sub }).first();
    },

    async findByLegacyId(legacyId: string, trx: Knex = db): Promise<AccountRow | undefined> {
      return trx('accounts').where({ legacy_id: legacyId }).first();
    },

    /**
     * Inserts an account and its identifiers in `trx`, in one statement. Returns false when
     * an account with the same sub or legacy id already exists (a concurrent first login won
     * the race); its identifiers are then left alone.
     */
    async insert(trx: Knex, a: NewAccount): Promise<boolean> {
      const now = new Date();
      const account = trx('accounts')
        .insert({
          sub: a.sub,
          legacy_id: a.legacyId ?? null,
          password_hash: a.passwordHash,
          claims: JSON.stringify(a.claims),
          source: a.source,
          legacy_scheme: a.legacyScheme ?? null,
          legacy_fingerprint: a.legacyFingerprint ?? null,
          migrated_at: a.source === 'legacy' ? now : null,
          imported_at: a.source === 'import' ? now : null,
          last_login_at: a.source === 'import' ? null : now,
        })
        .onConflict()
        .ignore()
        .returning('sub');
      const identifiers = [...new Set(a.identifiers.filter(Boolean).map(normalizeIdentifier))];
      if (identifiers.length === 0) return (await account).length > 0;
      // The identifiers ride on the account's INSERT: one round trip on the login path.
      const { sql, bindings } = account.toSQL();
      const values = identifiers.map(() => '(?)').join(', ');
      const result = (await trx.raw(
        `WITH a AS (${sql}),
              i AS (INSERT INTO account_identifiers (identifier, sub)
                    SELECT v.identifier, a.sub FROM a, (VALUES ${values}) AS v(identifier)
                    ON CONFLICT (identifier) DO NOTHING)
         SELECT sub FROM a`,
        [...bindings, ...identifiers],
      )) as { rows: unknown[] };
      return result.rows.length > 0;
    },

    /**
     * Records a login. With `refillSecret`, the same statement also gives a fresh password
     * form to a delivery job that failed because its form was already gone (erased, or a
     * user imported without one), and puts it back in the queue: one round trip on the login
     * path either way. Returns true when a job was refilled.
     */
    async recordLogin(sub: string, refillSecret?: string): Promise<boolean> {
      if (refillSecret === undefined) {
        await db('accounts').where({ sub }).update({ last_login_at: db.fn.now() });
        return false;
      }
      const result = await db.raw(
        `WITH seen AS (UPDATE accounts SET last_login_at = now() WHERE sub = ?)
         UPDATE outbox SET secret = ?, status = 'pending', attempts = 0, next_attempt_at = now(),
                           last_error = NULL, updated_at = now()
          WHERE sub = ? AND status = 'failed' AND secret IS NULL
         RETURNING id`,
        [sub, refillSecret, sub],
      );
      return (result.rows as unknown[]).length > 0;
    },

    async updatePassword(
      sub: string,
      passwordHash: string,
      fields: { legacyFingerprint?: string | null; legacyScheme?: string | null; migrated?: boolean } = {},
    ): Promise<void> {
      await db('accounts')
        .where({ sub })
        .update({
          password_hash: passwordHash,
          ...(fields.legacyFingerprint !== undefined ? { legacy_fingerprint: fields.legacyFingerprint } : {}),
          ...(fields.legacyScheme !== undefined ? { legacy_scheme: fields.legacyScheme } : {}),
          ...(fields.migrated ? { migrated_at: db.fn.now() } : {}),
          updated_at: db.fn.now(),
        });
    },
  };
}

export type Accounts = ReturnType<typeof createAccounts>;
