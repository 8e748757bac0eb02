// SQL of second factors, and nothing else: the account's TOTP secret (sealed by the
// caller) with its last accepted time step, recovery code digests, passkeys. Acceptance of
// a time step and redemption of a recovery code are single conditional UPDATEs, so two
// requests racing with one code cannot both succeed.
import type { Knex } from 'knex';

export interface SecondFactorRow {
  sub: string;
  totp_secret: string | null;
  totp_source: 'legacy' | 'enrolled' | null;
  totp_digits: number | null;
  totp_period: number | null;
  totp_algorithm: string | null;
  totp_last_step: number | string | null;
  totp_added_at: Date | null;
  webauthn_user_id: string | null;
  passkey_declined_at: Date | null;
}

export interface PasskeyRow {
  credential_id: string;
  sub: string;
  public_key: string;
  counter: number | string;
  transports: string[];
  device_type: string | null;
  backed_up: boolean;
  aaguid: string | null;
  created_at: Date;
  last_used_at: Date | null;
}

export interface NewTotp {
  secret: string;
  source: 'legacy' | 'enrolled';
  digits: number;
  period: number;
  algorithm: string;
  lastStep?: number | null;
}

/** What the login needs to know of an account's second factors. */
export interface FactorSummary {
  totp: boolean;
  passkeyDeclinedAt: Date | null;
  passkeys: number;
  recoveryCodesLeft: number;
}

/** An account just created, with no TOTP secret carried over: it has no second factor yet. */
export const NO_SECOND_FACTORS: Readonly<FactorSummary> = Object.freeze({
  totp: false,
  passkeyDeclinedAt: null,
  passkeys: 0,
  recoveryCodesLeft: 0,
});

/**
 * The summary as one JSON column, for the account whose sub is `sub`: a value, or a column
 * reference when the summary rides on a statement that reads the account anyway (the
 * login's lookup). summaryOf reads what it gave.
 */
export function summaryColumn(db: Knex, sub: string | Knex.Ref<string, Record<string, string>>): Knex.Raw {
  return db.raw(
    `json_build_object(
       'totp', (SELECT f.totp_secret IS NOT NULL FROM account_second_factors f WHERE f.sub = ?),
       'declined', (SELECT f.passkey_declined_at FROM account_second_factors f WHERE f.sub = ?),
       'passkeys', (SELECT count(*) FROM account_passkeys p WHERE p.sub = ?),
       'codes', (SELECT count(*) FROM account_recovery_codes c WHERE c.sub = ? AND c.used_at IS NULL))`,
    [sub, sub, sub, sub],
  );
}

/** The summary from the value of summaryColumn (an object, or its JSON text). */
export function summaryOf(value: unknown): FactorSummary {
  const v = (typeof value === 'string' ? JSON.parse(value) : value) as {
    totp: boolean | null;
    declined: string | null;
    passkeys: unknown;
    codes: unknown;
  };
  return {
    totp: v.totp === true,
    passkeyDeclinedAt: v.declined === null ? null : new Date(v.declined),
    passkeys: Number(v.passkeys),
    recoveryCodesLeft: Number(v.codes),
  };
}

export function createSecondFactorQueries(db: Knex) {
  return {
    async find(sub: string): Promise<SecondFactorRow | undefined> {
      return db('account_second_factors').where({ sub }).first();
    },

    /**
     * Sets the account's TOTP secret; `trx` lets a migration write it with the account. With
     * `keepExisting`, an account that already has one keeps it (a carried-over secret never
     * replaces one the user set up here).
     */
    async setTotp(sub: string, t: NewTotp, trx: Knex = db, keepExisting = false): Promise<void> {
      const fields = {
        totp_secret: t.secret,
        totp_source: t.source,
        totp_digits: t.digits,
        totp_period: t.period,
        totp_algorithm: t.algorithm,
        totp_last_step: t.lastStep ?? null,
        totp_added_at: trx.fn.now(),
        updated_at: trx.fn.now(),
      };
      const upsert = trx('account_second_factors')
        .insert({ sub, ...fields })
        .onConflict('sub')
        .merge(Object.keys(fields));
      await (keepExisting ? upsert.whereNull('account_second_factors.totp_secret') : upsert);
    },

    /** Records `step` as used; false when it (or a later one) already was. */
    async acceptStep(sub: string, step: number): Promise<boolean> {
      const n = await db('account_second_factors')
        .where({ sub })
        .andWhere((q) => q.whereNull('totp_last_step').orWhere('totp_last_step', '<', step))
        .update({ totp_last_step: step, updated_at: db.fn.now() });
      return Number(n) === 1;
    },

    async replaceRecoveryCodes(sub: string, digests: string[]): Promise<void> {
      await db.transaction(async (trx) => {
        await trx('account_recovery_codes').where({ sub }).delete();
        await trx('account_recovery_codes').insert(digests.map((digest) => ({ sub, digest })));
      });
    },

    /** Marks one unused code as used; false when there is no such unused code. */
    async redeemRecoveryCode(sub: string, digest: string): Promise<boolean> {
      const n = await db('account_recovery_codes')
        .where({ sub, digest })
        .whereNull('used_at')
        .update({ used_at: db.fn.now() });
      return Number(n) === 1;
    },

    /** What the login needs to know of an account's second factors, in one statement. */
    async summary(sub: string): Promise<FactorSummary> {
      const result = (await db.raw('SELECT ? AS summary', [summaryColumn(db, sub)])) as {
        rows: Array<{ summary: unknown }>;
      };
      return summaryOf(result.rows[0]!.summary);
    },

    async recoveryCodesLeft(sub: string): Promise<number> {
      const row = await db('account_recovery_codes')
        .where({ sub })
        .whereNull('used_at')
        .count({ n: '*' })
        .first();
      return Number(row?.n ?? 0);
    },

    /** The account's WebAuthn user handle, made once. */
    async userHandle(sub: string, fresh: string): Promise<string> {
      await db('account_second_factors')
        .insert({ sub, webauthn_user_id: fresh })
        .onConflict('sub')
        .merge({
          webauthn_user_id: db.raw(
            'coalesce(account_second_factors.webauthn_user_id, excluded.webauthn_user_id)',
          ),
        });
      const row = await db('account_second_factors').where({ sub }).first('webauthn_user_id');
      return row.webauthn_user_id as string;
    },

    async declinePasskey(sub: string): Promise<void> {
      await db('account_second_factors')
        .insert({ sub, passkey_declined_at: db.fn.now() })
        .onConflict('sub')
        .merge({ passkey_declined_at: db.fn.now(), updated_at: db.fn.now() });
    },

    async passkeys(sub: string): Promise<PasskeyRow[]> {
      return db('account_passkeys').where({ sub }).orderBy('created_at');
    },

    async passkey(credentialId: string): Promise<PasskeyRow | undefined> {
      return db('account_passkeys').where({ credential_id: credentialId }).first();
    },

    async addPasskey(p: Omit<PasskeyRow, 'created_at' | 'last_used_at'>): Promise<void> {
      await db('account_passkeys').insert({ ...p, transports: JSON.stringify(p.transports) });
    },

    /** Stores the authenticator's new signature counter; false when it went backwards meanwhile. */
    async usePasskey(credentialId: string, counter: number): Promise<boolean> {
      const n = await db('account_passkeys')
        .where({ credential_id: credentialId })
        .andWhere((q) => q.where('counter', '<', counter).orWhere('counter', 0))
        .update({ counter, last_used_at: db.fn.now() });
      return Number(n) === 1;
    },

    /** Removes every second factor of an account (the operator's reset). */
    async removeAll(sub: string): Promise<void> {
      await db.transaction(async (trx) => {
        await trx('account_passkeys').where({ sub }).delete();
        await trx('account_recovery_codes').where({ sub }).delete();
        await trx('account_second_factors').where({ sub }).delete();
      });
    },
  };
}

export type SecondFactorQueries = ReturnType<typeof createSecondFactorQueries>;
