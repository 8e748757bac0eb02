// The bridge's own accounts: queries only. An account has a stable sub, the identifiers a
// user logs in with (each matched exactly or without regard to case, by the rule of the
// column it came from), an argon2id hash and the mapped claims. A migrated account and its
// delivery job are written in one transaction (see outbox.ts).
import type { Knex } from 'knex';
import type { LegacyConfig } from '../config/schema.ts';
import { caseInsensitiveColumns } from '../legacy/identifier-case.ts';
import { directStatements } from '../store/direct-statements.ts';
import { planOnce } from '../store/prepared-statements.ts';

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
  /** Who disabled it: an operator, or the legacy sync (LEGACY_SYNC_ACTOR). */
  disabled_by?: string | null;
  /** Its password failed the policy at migration: asked for a new one after login. */
  password_change_prompt?: boolean;
}

/** A login name as stored: `exact` ones match case included, the others folded to lower case. */
export interface IdentifierKey {
  identifier: string;
  exact: boolean;
}

export interface NewAccount {
  sub: string;
  legacyId?: string | null;
  passwordHash: string | null;
  claims: Record<string, unknown>;
  source: AccountRow['source'];
  legacyScheme?: string | null;
  legacyFingerprint?: string | null;
  /** A bare string is matched without regard to case. */
  identifiers: Array<string | IdentifierKey>;
}

export function normalizeIdentifier(identifier: string): string {
  return identifier.normalize('NFC').trim().toLowerCase();
}

function exactIdentifier(identifier: string): string {
  return identifier.normalize('NFC').trim();
}

/** The login names of a legacy row, each under its column's case rule (legacy.case_insensitive). */
export function identifierKeys(
  config: Pick<LegacyConfig, 'identifiers' | 'case_insensitive'> | undefined,
  row: Record<string, unknown>,
): IdentifierKey[] {
  if (!config) return [];
  const folded = caseInsensitiveColumns(config);
  const keys: IdentifierKey[] = [];
  for (const column of config.identifiers) {
    const value = row[column];
    if (typeof value !== 'string' && typeof value !== 'number') continue;
    const exact = !folded.has(column);
    const identifier = exact ? exactIdentifier(String(value)) : normalizeIdentifier(String(value));
    if (identifier && !keys.some((k) => k.identifier === identifier)) keys.push({ identifier, exact });
  }
  return keys;
}

/** The alias of a column that rides on the account lookup (see findByIdentifierWith). */
const ALONGSIDE = '_alongside';

export function createAccounts(db: Knex) {
  // A login's lookup and its record go past knex's runner, as the token path's statements do.
  const send = directStatements(db);
  // An exact name matches only as spelled; a folded one in any case. Exact wins a tie.
  const byIdentifier = (identifier: string) =>
    db('account_identifiers as i')
      .join('accounts as a', 'a.sub', 'i.sub')
      .where((w) =>
        w
          .where({ 'i.identifier': exactIdentifier(identifier), 'i.exact': true })
          .orWhere({ 'i.identifier': normalizeIdentifier(identifier), 'i.exact': false }),
      )
      .orderBy('i.exact', 'desc');

  return {
    async findByIdentifier(identifier: string): Promise<AccountRow | undefined> {
      return byIdentifier(identifier).first('a.*');
    },

    /**
     * findByIdentifier, with one more column of another concern read in the same statement:
     * `alongside` makes it from a reference to the account's sub (the login's lookup carries
     * the second-factor summary so). Its value comes back beside the row, never in it.
     */
    async findByIdentifierWith(
      identifier: string,
      alongside: (sub: Knex.Ref<string, Record<string, string>>) => Knex.Raw,
    ): Promise<{ account: AccountRow; alongside: unknown } | undefined> {
      const lookup = byIdentifier(identifier)
        .first('a.*', db.raw('? AS ??', [alongside(db.ref('a.sub')), ALONGSIDE]))
        .toSQL();
      const [row] = await send<AccountRow & { [ALONGSIDE]?: unknown }>(lookup.sql, [...lookup.bindings]);
      if (!row) return undefined;
      const { [ALONGSIDE]: value, ...account } = row;
      return { account, alongside: value };
    },

    /** A page of accounts in sub order, for `accounts list`. Never the password hash. */
    async list(opts: {
      status?: 'active' | 'disabled' | undefined;
      after?: string | undefined;
      limit: number;
    }) {
      const q = db('accounts')
        .orderBy('sub')
        .limit(opts.limit)
        .select(
          'sub',
          'legacy_id',
          'source',
          'migrated_at',
          'imported_at',
          'last_login_at',
          'disabled_at',
          'disabled_by',
        );
      if (opts.after !== undefined) q.where('sub', '>', opts.after);
      if (opts.status === 'active') q.whereNull('disabled_at');
      if (opts.status === 'disabled') q.whereNotNull('disabled_at');
      return q;
    },

    /** The login names of an account, each with its case rule. */
    async identifiersOf(sub: string): Promise<IdentifierKey[]> {
      return db('account_identifiers').where({ sub }).orderBy('identifier').select('identifier', 'exact');
    },

    async findBySub(sub: string): Promise<AccountRow | undefined> {
      return db('accounts').where({ sub }).first();
    },

    async findByLegacyId(legacyId: string, trx: Knex = db): Promise<AccountRow | undefined> {
      return trx('accounts').where({ legacy_id: legacyId }).first();
    },

    /**
     * Inserts an account and its identifiers in `trx`, in one statement, and returns its row;
     * none when an account with the same sub or legacy id already exists (a concurrent first
     * login won the race), whose identifiers are then left alone. `alongside` are single-row INSERTs that
     * ride on the same statement and are written only when the account is (its delivery job,
     * its audit rows), `also` are writes that ride on it whether or not the account is
     * written (the login's counters), and `notify` wakes that channel's listeners with the new sub.
     */
    async insert(
      trx: Knex,
      a: NewAccount,
      opts: {
        alongside?: Knex.QueryBuilder[];
        also?: Knex.QueryBuilder[];
        notify?: string | undefined;
      } = {},
    ): Promise<AccountRow | undefined> {
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
        .returning('*');
      const keys = new Map<string, boolean>();
      for (const k of a.identifiers) {
        const key = typeof k === 'string' ? { identifier: normalizeIdentifier(k), exact: false } : k;
        if (key.identifier && !keys.has(key.identifier)) keys.set(key.identifier, key.exact);
      }
      const alongside = opts.alongside ?? [];
      const also = opts.also ?? [];
      if (keys.size === 0 && alongside.length === 0 && also.length === 0 && !opts.notify) {
        return (await account)[0] as AccountRow;
      }
      // The identifiers and the rest ride on the account's INSERT: one round trip on the login path.
      const { sql, bindings } = account.toSQL();
      const ctes = [`a AS (${sql})`];
      const params: Knex.RawBinding[] = [...bindings];
      if (keys.size > 0) {
        const values = [...keys].map(() => '(?, ?::boolean)').join(', ');
        ctes.push(`i AS (INSERT INTO account_identifiers (identifier, exact, sub)
                    SELECT v.identifier, v.exact, a.sub FROM a, (VALUES ${values}) AS v(identifier, exact)
                    ON CONFLICT (identifier) DO NOTHING)`);
        params.push(...[...keys].flat());
      }
      alongside.forEach((q, n) => {
        const one = q.toSQL();
        // `insert into t (…) values (…)` becomes `insert into t (…) select … from a`: written
        // only with the account (the values take the target columns' types, as in VALUES).
        const fromA = one.sql.replace(/ values \(([^)]*)\)/, ' select $1 from a');
        if (fromA === one.sql) throw new Error('an alongside statement must be a one-row INSERT');
        ctes.push(`x${n} AS (${fromA})`);
        params.push(...one.bindings);
      });
      also.forEach((q, n) => {
        const one = q.toSQL();
        ctes.push(`y${n} AS (${one.sql})`);
        params.push(...one.bindings);
      });
      let notified = '';
      if (opts.notify) {
        ctes.push('n AS (SELECT pg_notify(?, a.sub) FROM a)');
        params.push(opts.notify);
        notified = ', (SELECT count(*) FROM n) AS notified';
      }
      const result = (await planOnce(
        trx.raw(`WITH ${ctes.join(',\n')} SELECT a.*${notified} FROM a`, params),
      )) as {
        rows: Array<AccountRow & { notified?: unknown }>;
      };
      const row = result.rows[0];
      if (!row) return undefined;
      const { notified: _n, ...inserted } = row;
      return inserted;
    },

    /**
     * Records a login. With `refillSecret`, the same statement also gives a fresh password
     * form to a delivery job that failed because its form was already gone (erased, or a
     * user imported without one), and puts it back in the queue; `alongside` INSERTs (the
     * login's audit row) ride on it too: one round trip on the login path either way. Returns
     * true when a job was refilled.
     */
    async recordLogin(
      sub: string,
      refillSecret?: string,
      alongside: Knex.QueryBuilder[] = [],
    ): Promise<boolean> {
      if (refillSecret === undefined && alongside.length === 0) {
        await db('accounts').where({ sub }).update({ last_login_at: db.fn.now() });
        return false;
      }
      const ctes = ['seen AS (UPDATE accounts SET last_login_at = now() WHERE sub = ?)'];
      const params: Knex.RawBinding[] = [sub];
      alongside.forEach((q, n) => {
        const one = q.toSQL();
        ctes.push(`x${n} AS (${one.sql})`);
        params.push(...one.bindings);
      });
      const refill =
        refillSecret === undefined
          ? 'SELECT NULL AS id WHERE false'
          : `UPDATE outbox SET secret = ?, status = 'pending', attempts = 0, next_attempt_at = now(),
                           last_error = NULL, updated_at = now()
          WHERE sub = ? AND status = 'failed' AND secret IS NULL
         RETURNING id`;
      if (refillSecret !== undefined) params.push(refillSecret, sub);
      return (await send(`WITH ${ctes.join(',\n')} ${refill}`, params)).length > 0;
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
