// Reads of oidc_payloads rows by type and id, gathered per tick into one statement: the
// lookups oidc-provider starts together (introspection without a hint asks AccessToken,
// ClientCredentials and RefreshToken at once, each a hashed id and a legacy unhashed one)
// and those of requests answered in the same tick. Nothing is kept after the statement:
// every read is of the store as it is when the read is asked, so a revoked or consumed
// row is seen as such at once.
import type { Knex } from 'knex';

export interface PayloadRow {
  id: string;
  payload: Record<string, unknown>;
  consumed_at: Date | string | null;
}

interface Pending {
  type: string;
  ids: string[];
  resolve(rows: Array<PayloadRow | undefined>): void;
  reject(err: unknown): void;
}

export type PayloadReader = (type: string, ids: string[]) => Promise<Array<PayloadRow | undefined>>;

export function createPayloadReader(db: Knex): PayloadReader {
  let queue: Pending[] | undefined;

  async function flush(batch: Pending[]): Promise<void> {
    const pairs = new Map<string, [string, string]>();
    for (const r of batch) for (const id of r.ids) pairs.set(`${r.type}\0${id}`, [r.type, id]);
    try {
      const rows: Array<PayloadRow & { type: string }> = await db('oidc_payloads')
        .whereIn(['type', 'id'], [...pairs.values()])
        .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', db.fn.now()))
        .select('type', 'id', 'payload', 'consumed_at');
      const found = new Map(rows.map((row) => [`${row.type}\0${row.id}`, row]));
      const handedOut = new Set<string>();
      for (const r of batch) {
        r.resolve(
          r.ids.map((id) => {
            const key = `${r.type}\0${id}`;
            const row = found.get(key);
            if (!row) return undefined;
            // The caller mutates the payload (the jti, consumed): one object per caller.
            const copy = handedOut.has(key) ? structuredClone(row.payload) : row.payload;
            handedOut.add(key);
            return { id: row.id, payload: copy, consumed_at: row.consumed_at };
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
      queue.push({ type, ids, resolve, reject });
    });
}
