// The Accounts page's reads: find an account by a login name, a sub or a legacy id, and
// show its migration record, its delivery jobs and its audit trail. Selected column by
// column so that no password hash, password form or fingerprint can reach a page.
import type { Knex } from 'knex';
import { normalizeIdentifier } from '../migration/accounts.ts';

export interface AccountSummary {
  sub: string;
  legacy_id: string | null;
  source: string;
  legacy_scheme: string | null;
  migrated_at: Date | null;
  imported_at: Date | null;
  last_login_at: Date | null;
  created_at: Date;
  disabled_at: Date | null;
  disabled_by: string | null;
  has_password: boolean;
  claims: Record<string, unknown>;
}

const SUMMARY = [
  'a.sub',
  'a.legacy_id',
  'a.source',
  'a.legacy_scheme',
  'a.migrated_at',
  'a.imported_at',
  'a.last_login_at',
  'a.created_at',
  'a.disabled_at',
  'a.disabled_by',
  'a.claims',
] as const;

export function createAccountsView(db: Knex) {
  const summary = (q: Knex.QueryBuilder) =>
    q.select(...SUMMARY, db.raw('(a.password_hash IS NOT NULL) AS has_password')) as Promise<
      AccountSummary[]
    >;

  return {
    /** Exact matches on a login name, a sub or a legacy id; at most 20. */
    async search(query: string): Promise<AccountSummary[]> {
      const q = query.trim();
      if (!q) return [];
      const rows = await summary(
        db('accounts as a')
          .where('a.sub', q)
          .orWhere('a.legacy_id', q)
          .orWhereIn(
            'a.sub',
            db('account_identifiers').where('identifier', normalizeIdentifier(q)).select('sub'),
          )
          .orderBy('a.created_at', 'desc')
          .limit(20),
      );
      return rows;
    },

    async find(sub: string): Promise<AccountSummary | undefined> {
      const [row] = await summary(db('accounts as a').where('a.sub', sub).limit(1));
      return row;
    },

    async identifiers(sub: string): Promise<string[]> {
      const rows = await db('account_identifiers').where({ sub }).orderBy('identifier').select('identifier');
      return rows.map((r: { identifier: string }) => r.identifier);
    },

    async deliveries(sub: string) {
      return db('outbox')
        .where({ sub })
        .orderBy('id', 'desc')
        .limit(20)
        .select(
          'id',
          'kind',
          'status',
          'attempts',
          'last_reason',
          'last_error',
          'created_at',
          'last_attempt_at',
          'delivered_at',
          db.raw('(secret IS NOT NULL) AS has_password_form'),
        ) as Promise<
        Array<{
          id: number;
          kind: string;
          status: string;
          attempts: number;
          last_reason: string | null;
          last_error: string | null;
          created_at: Date;
          last_attempt_at: Date | null;
          delivered_at: Date | null;
          has_password_form: boolean;
        }>
      >;
    },

    async audit(sub: string, limit = 50) {
      return db('audit_events')
        .where({ sub })
        .orderBy([
          { column: 'at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(limit)
        .select(
          'id',
          'at',
          'type',
          'outcome',
          'reason',
          'identifier',
          'ip',
          'client_id',
          'actor',
          'details',
        ) as Promise<
        Array<{
          id: number;
          at: Date;
          type: string;
          outcome: string;
          reason: string | null;
          identifier: string | null;
          ip: string | null;
          client_id: string | null;
          actor: string | null;
          details: Record<string, unknown>;
        }>
      >;
    },
  };
}
