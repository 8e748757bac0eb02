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
import { directStatements } from '../store/direct-statements.ts';
import { currentPayloadScope, type PayloadScope } from './payload-scope.ts';

/** A row as read, with what a payload scope keeps of it. */
export interface ReadRow {
  type: string;
  id: string;
  uid: string | null;
  grant_id: string | null;
  expires_at: Date | string | null;
  /** The payload as the store writes jsonb out: each caller parses a copy of its own. */
  payload: string;
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
  const send = directStatements(db);

  // Plain SQL, built once per number of ids and sent past knex (direct-statements.ts): knex's
  // builder cost more than the statement's round trip on this path (the profile of introspection).
  // The payload comes back as text: the driver would parse it, and a row kept for later in the
  // request's scope is kept as JSON, which the driver's object would be written out to again.
  const cols = (alias: string, prefix = '') =>
    COLUMNS.map((c) => {
      const as = prefix ? `${prefix}_${c}` : c;
      return c === 'payload'
        ? `${alias}.payload::text as ${as}`
        : `${alias}.${c}${prefix ? ` as ${as}` : ''}`;
    }).join(', ');
  const tokens = TOKENS.map((t) => `'${t}'`).join(', ');
  const PLAIN = `select ${cols('p')} from oidc_payloads p where ${ALIVE('p')} and (p.type, p.id) in `;
  const JOINED = `select ${cols('t')}, ${cols('g', 'g')}, ${cols('s', 's')} from oidc_payloads t
    left join oidc_payloads g on g.type = 'Grant' and g.id = t.grant_id and t.type in (${tokens}) and ${ALIVE('g')}
    left join oidc_payloads s on s.type = 'Session' and s.uid = t.payload->>'sessionUid'
      and t.type in (${tokens}) and t.payload->>'expiresWithSession' = 'true' and ${ALIVE('s')}
    where ${ALIVE('t')} and (t.type, t.id) in `;
  const placeholders: string[] = [];
  const inList = (n: number) => {
    placeholders[n] ??= `(${Array.from({ length: n }, () => '(?, ?)').join(', ')})`;
    return placeholders[n];
  };

  const select = (pairs: Array<[string, string]>, joined: boolean): Promise<Joined[]> =>
    send<Joined>(`${joined ? JOINED : PLAIN}${inList(pairs.length)}`, pairs.flat());

  async function flush(batch: Pending[]): Promise<void> {
    const pairs = new Map<string, [string, string]>();
    for (const r of batch) for (const id of r.ids) pairs.set(`${r.type}\0${id}`, [r.type, id]);
    const readAhead = batch.some((r) => r.scope && TOKENS.includes(r.type));
    try {
      const rows = await select([...pairs.values()], readAhead);
      const found = new Map(rows.map((row) => [`${row.type}\0${row.id}`, row]));
      for (const r of batch) {
        r.resolve(
          r.ids.map((id) => {
            const key = `${r.type}\0${id}`;
            const row = found.get(key);
            if (!row) return undefined;
            if (r.scope) {
              for (const along of [part(row, 'g'), part(row, 's')]) if (along) remember(r.scope, along);
            }
            return {
              type: row.type,
              id: row.id,
              uid: row.uid,
              grant_id: row.grant_id,
              expires_at: row.expires_at,
              payload: row.payload,
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
