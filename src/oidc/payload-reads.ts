// Reads of oidc_payloads rows by type and id, gathered per tick into one statement: the
// lookups oidc-provider starts together (introspection without a hint asks AccessToken,
// ClientCredentials and RefreshToken at once, each a hashed id and a legacy unhashed one)
// and those of requests answered in the same tick.
//
// Within one request (withReadScope), the statement that reads an access or refresh token
// also reads its grant and, for a token that ends with its session, that session: the two
// rows oidc-provider asks for next (userinfo, introspection, the refresh grant). They are
// kept for that request only, handed out once, and dropped at the request's first write.
// Nothing outlives the request: every read is of the store as it was when the request read
// its token, so a token, grant or session revoked before that is seen as gone at once, on
// every replica.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Knex } from 'knex';

export interface PayloadRow {
  id: string;
  payload: Record<string, unknown>;
  consumed_at: Date | string | null;
}

/** Rows read ahead in one request: `Grant id` or `Session uid` → the row, or null if absent. */
type Ahead = Map<string, PayloadRow | null>;

const requestScope = new AsyncLocalStorage<Ahead>();

/** Runs `fn` (one request of oidc-provider's) with a read-ahead scope of its own. */
export function withReadScope<T>(fn: () => T): T {
  return requestScope.run(new Map(), fn);
}

/** The grant or session (by uid) this request's token read brought along, handed out once. */
export function takeReadAhead(type: 'Grant' | 'Session', key: string): PayloadRow | null | undefined {
  const ahead = requestScope.getStore();
  const row = ahead?.get(`${type} ${key}`);
  if (row !== undefined) ahead!.delete(`${type} ${key}`);
  return row;
}

/** A write in this request: what was read ahead may no longer be what the store holds. */
export function forgetReadAhead(): void {
  requestScope.getStore()?.clear();
}

interface Pending {
  type: string;
  ids: string[];
  ahead: Ahead | undefined;
  resolve(rows: Array<PayloadRow | undefined>): void;
  reject(err: unknown): void;
}

export type PayloadReader = (type: string, ids: string[]) => Promise<Array<PayloadRow | undefined>>;

type Row = PayloadRow & {
  type: string;
  grant_id?: string | null;
  grant_payload?: Record<string, unknown> | null;
  grant_consumed_at?: Date | string | null;
  session_uid?: string | null;
  session_payload?: Record<string, unknown> | null;
  session_consumed_at?: Date | string | null;
};

const ALIVE = (alias: string) => `(${alias}.expires_at is null or ${alias}.expires_at > CURRENT_TIMESTAMP)`;
const TOKENS = ['AccessToken', 'RefreshToken'];

export function createPayloadReader(db: Knex): PayloadReader {
  let queue: Pending[] | undefined;

  function plain(pairs: Array<[string, string]>): Promise<Row[]> {
    return db('oidc_payloads')
      .whereIn(['type', 'id'], pairs)
      .andWhere(db.raw(ALIVE('oidc_payloads')))
      .select('type', 'id', 'payload', 'consumed_at');
  }

  function withGrantAndSession(pairs: Array<[string, string]>): Promise<Row[]> {
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
        't.type',
        't.id',
        't.payload',
        't.consumed_at',
        't.grant_id',
        'g.payload as grant_payload',
        'g.consumed_at as grant_consumed_at',
        db.raw(
          "case when t.type in ('AccessToken', 'RefreshToken') and t.payload->>'expiresWithSession' = 'true' then t.payload->>'sessionUid' end as session_uid",
        ),
        's.payload as session_payload',
        's.consumed_at as session_consumed_at',
      );
  }

  function keepAhead(ahead: Ahead, row: Row): void {
    if (!TOKENS.includes(row.type)) return;
    if (row.grant_id) {
      ahead.set(
        `Grant ${row.grant_id}`,
        row.grant_payload
          ? { id: row.grant_id, payload: row.grant_payload, consumed_at: row.grant_consumed_at ?? null }
          : null,
      );
    }
    if (row.session_uid) {
      ahead.set(
        `Session ${row.session_uid}`,
        row.session_payload
          ? {
              id: row.session_uid,
              payload: row.session_payload,
              consumed_at: row.session_consumed_at ?? null,
            }
          : null,
      );
    }
  }

  async function flush(batch: Pending[]): Promise<void> {
    const pairs = new Map<string, [string, string]>();
    for (const r of batch) for (const id of r.ids) pairs.set(`${r.type}\0${id}`, [r.type, id]);
    const readAhead = batch.some((r) => r.ahead && TOKENS.includes(r.type));
    try {
      const rows = await (readAhead ? withGrantAndSession : plain)([...pairs.values()]);
      const found = new Map(rows.map((row) => [`${row.type}\0${row.id}`, row]));
      const handedOut = new Set<string>();
      // The caller mutates what it is given (the jti, consumed): one object per caller.
      const own = <T>(key: string, value: T): T => {
        const copy = handedOut.has(key) ? structuredClone(value) : value;
        handedOut.add(key);
        return copy;
      };
      for (const r of batch) {
        r.resolve(
          r.ids.map((id) => {
            const key = `${r.type}\0${id}`;
            const row = found.get(key);
            if (!row) return undefined;
            if (r.ahead) keepAhead(r.ahead, own(`${key}\0ahead`, row));
            return { id: row.id, payload: own(key, row.payload), consumed_at: row.consumed_at };
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
      queue.push({ type, ids, ahead: requestScope.getStore(), resolve, reject });
    });
}
