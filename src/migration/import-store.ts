// Bulk-import queries on the bridge store: which legacy ids already have an account, the
// resumable checkpoint (import_checkpoints, one row named 'bulk-import'), and recording a
// delivered batch (accounts, identifiers, outbox rows) in the transaction that advances
// the checkpoint, with one multi-row INSERT per table.
import type { Knex } from 'knex';
import type { IdentifierKey } from './accounts.ts';
import type { DeliveryPayload, OutboxStatus } from './outbox.ts';

export const CHECKPOINT_NAME = 'bulk-import';

export interface Checkpoint<C> {
  /** The run's id, new at each start or --restart and kept by --resume: import keys are made from it. */
  run_id: string;
  last_id: string | null;
  counts: C;
  status: 'running' | 'done' | string;
  started_at: Date;
  updated_at: Date;
}

export interface ImportedAccount {
  sub: string;
  legacyId: string;
  claims: Record<string, unknown>;
  legacyScheme: string;
  identifiers: IdentifierKey[];
  payload: DeliveryPayload;
  status: Extract<OutboxStatus, 'delivered' | 'conflict' | 'failed'>;
  /** Kept only for a failed delivery, so `migration retry` can send the same form again. */
  secret: string | null;
  /** The sealed copy of the mapped legacy columns, kept only for a failed delivery. */
  rowData: string | null;
  reason: string;
  lastError: string | null;
}

const INSERT_CHUNK = 1000;

function chunks<T>(items: T[], size = INSERT_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function createImportStore(db: Knex) {
  return {
    /** The subset of `legacyIds` that already has a bridge account (lazily migrated or imported). */
    async existingLegacyIds(legacyIds: string[], trx: Knex = db): Promise<Set<string>> {
      if (legacyIds.length === 0) return new Set();
      const rows: Array<{ legacy_id: string }> = await trx('accounts')
        .whereIn('legacy_id', legacyIds)
        .select('legacy_id');
      return new Set(rows.map((r) => r.legacy_id));
    },

    async readCheckpoint<C>(): Promise<Checkpoint<C> | undefined> {
      const row = await db('import_checkpoints').where({ name: CHECKPOINT_NAME }).first();
      if (!row) return undefined;
      return { ...row, counts: typeof row.counts === 'string' ? JSON.parse(row.counts) : row.counts };
    },

    /** Starts (or restarts) the checkpoint from the beginning. */
    async startCheckpoint(counts: unknown): Promise<void> {
      await db('import_checkpoints')
        .insert({
          name: CHECKPOINT_NAME,
          run_id: db.raw('gen_random_uuid()'),
          last_id: null,
          counts: JSON.stringify(counts),
          status: 'running',
          started_at: db.fn.now(),
          updated_at: db.fn.now(),
        })
        .onConflict('name')
        .merge();
    },

    async setCheckpoint(
      patch: { lastId?: string | null; counts: unknown; status: string },
      trx: Knex = db,
    ): Promise<void> {
      await trx('import_checkpoints')
        .where({ name: CHECKPOINT_NAME })
        .update({
          ...(patch.lastId !== undefined ? { last_id: patch.lastId } : {}),
          counts: JSON.stringify(patch.counts),
          status: patch.status,
          updated_at: db.fn.now(),
        });
    },

    /**
     * Writes the accounts of one delivered batch and its outbox rows. Returns the subs that
     * were inserted; an account that appeared meanwhile (a login during the import) keeps its own.
     */
    async recordBatch(trx: Knex, accounts: ImportedAccount[]): Promise<number> {
      let inserted = 0;
      for (const part of chunks(accounts)) {
        const now = new Date();
        const subs: Array<{ sub: string }> = await trx('accounts')
          .insert(
            part.map((a) => ({
              sub: a.sub,
              legacy_id: a.legacyId,
              password_hash: null,
              claims: JSON.stringify(a.claims),
              source: 'import',
              legacy_scheme: a.legacyScheme,
              imported_at: now,
            })),
          )
          .onConflict()
          .ignore()
          .returning('sub');
        const kept = new Set(subs.map((s) => s.sub));
        inserted += kept.size;
        const mine = part.filter((a) => kept.has(a.sub));
        if (mine.length === 0) continue;
        const identifiers = new Map<string, { sub: string; exact: boolean }>();
        for (const a of mine) {
          for (const k of a.identifiers) {
            if (!identifiers.has(k.identifier)) identifiers.set(k.identifier, { sub: a.sub, exact: k.exact });
          }
        }
        for (const ids of chunks([...identifiers], INSERT_CHUNK * 2)) {
          await trx('account_identifiers')
            .insert(ids.map(([identifier, { sub, exact }]) => ({ identifier, sub, exact })))
            .onConflict('identifier')
            .ignore();
        }
        await trx('outbox')
          .insert(
            mine.map((a) => ({
              sub: a.sub,
              kind: 'deliver',
              payload: JSON.stringify(a.payload),
              secret: a.secret,
              row_data: a.rowData,
              status: a.status,
              attempts: 1,
              last_attempt_at: now,
              last_reason: a.reason,
              last_error: a.lastError,
              delivered_at: a.status === 'delivered' ? now : null,
            })),
          )
          .onConflict(['sub', 'kind'])
          .ignore();
      }
      return inserted;
    },
  };
}

export type ImportStore = ReturnType<typeof createImportStore>;
