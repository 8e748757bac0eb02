// Reads of oidc_payloads rows by type and id, gathered per tick into one statement: the
// lookups oidc-provider starts together (introspection without a hint asks AccessToken,
// ClientCredentials and RefreshToken at once, each a hashed id and a legacy unhashed one)
// and those of requests answered in the same tick.
//
// Within a request's payload scope (payload-scope.ts), the statement that reads an access or
// refresh token also reads its grant and, for a token that ends with its session, that
// session: the two rows oidc-provider asks for next (userinfo, introspection, the refresh
// grant). They are kept in that request's scope only. Nothing outlives the request: every
// read is of the store as it was when the request read its token, so a token, grant or
// session revoked before that is seen as gone at once, on every replica.
import type { Knex } from 'knex';
import { currentPayloadScope, type PayloadScope } from './payload-scope.ts';

/** A row as read, with what a payload scope keeps of it. */
export interface ReadRow {
  type: string;
  id: string;
  uid: string | null;
  grant_id: string | null;
  expires_at: Date | string | null;
  payload: Record<string, unknown>;
  consumed_at: Date | string | null;
}

interface Pending {
  type: string;
  ids: string[];
  scope: PayloadScope | undefined;
  resolve(rows: Array<ReadRow | undefined>): void;
  reject(err: unknown): void;
}

export type PayloadReader = (type: string, ids: string[]) => Promise<Array<ReadRow | undefined>>;

/** Keeps a row read along with a token in the request's scope, as the adapter keeps its own reads. */
export type Remember = (scope: PayloadScope, row: ReadRow) => void;

const COLUMNS = ['type', 'id', 'uid', 'grant_id', 'expires_at', 'payload', 'consumed_at'] as const;
const ALIVE = (alias: string) => `(${alias}.expires_at is null or ${alias}.expires_at > CURRENT_TIMESTAMP)`;
const TOKENS = ['AccessToken', 'RefreshToken'];

type Joined = ReadRow & Record<string, unknown>;

function part(row: Joined, prefix: string): ReadRow | undefined {
  if (row[`${prefix}_id`] == null) return undefined;
  return Object.fromEntries(COLUMNS.map((c) => [c, row[`${prefix}_${c}`] ?? null])) as unknown as ReadRow;
}

export function createPayloadReader(db: Knex, remember: Remember): PayloadReader {
  let queue: Pending[] | undefined;

  function plain(pairs: Array<[string, string]>): Promise<Joined[]> {
    return db('oidc_payloads')
      .whereIn(['type', 'id'], pairs)
      .andWhere(db.raw(ALIVE('oidc_payloads')))
      .select(...COLUMNS);
  }

  function withGrantAndSession(pairs: Array<[string, string]>): Promise<Joined[]> {
    return db({ t: 'oidc_payloads' })
      .leftJoin({ g: 'oidc_payloads' }, function () {
        this.on('g.id', '=', 't.grant_id')
          .andOnVal('g.type', '=', 'Grant')
          .andOnIn('t.type', TOKENS)
          .andOn(db.raw(ALIVE('g')));
      })
      .leftJoin({ s: 'oidc_payloads' }, function () {
        this.on('s.uid', '=', db.raw("t.payload->>'sessionUid'"))
          .andOnVal('s.type', '=', 'Session')
          .andOnIn('t.type', TOKENS)
          .andOn(db.raw("t.payload->>'expiresWithSession' = 'true'"))
          .andOn(db.raw(ALIVE('s')));
      })
      .whereIn(['t.type', 't.id'], pairs)
      .andWhere(db.raw(ALIVE('t')))
      .select(
        ...COLUMNS.map((c) => `t.${c}`),
        ...COLUMNS.map((c) => `g.${c} as g_${c}`),
        ...COLUMNS.map((c) => `s.${c} as s_${c}`),
      );
  }

  async function flush(batch: Pending[]): Promise<void> {
    const pairs = new Map<string, [string, string]>();
    for (const r of batch) for (const id of r.ids) pairs.set(`${r.type}\0${id}`, [r.type, id]);
    const readAhead = batch.some((r) => r.scope && TOKENS.includes(r.type));
    try {
      const rows = await (readAhead ? withGrantAndSession : plain)([...pairs.values()]);
      const found = new Map(rows.map((row) => [`${row.type}\0${row.id}`, row]));
      const handedOut = new Set<string>();
      for (const r of batch) {
        r.resolve(
          r.ids.map((id) => {
            const key = `${r.type}\0${id}`;
            const row = found.get(key);
            if (!row) return undefined;
            if (r.scope) {
              for (const along of [part(row, 'g'), part(row, 's')]) if (along) remember(r.scope, along);
            }
            // The caller mutates the payload (the jti, consumed): one object per caller.
            const payload = handedOut.has(key) ? structuredClone(row.payload) : row.payload;
            handedOut.add(key);
            return {
              type: row.type,
              id: row.id,
              uid: row.uid,
              grant_id: row.grant_id,
              expires_at: row.expires_at,
              payload,
              consumed_at: row.consumed_at,
            };
          }),
        );
      }
    } catch (err) {
      for (const r of batch) r.reject(err);
    }
  }

  return (type, ids) =>
    new Promise((resolve, reject) => {
      if (!queue) {
        const batch: Pending[] = [];
        queue = batch;
        queueMicrotask(() => {
          queue = undefined;
          void flush(batch);
        });
      }
      queue.push({ type, ids, scope: currentPayloadScope(), resolve, reject });
    });
}
