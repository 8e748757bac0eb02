// `migration retry` sends what the legacy row says now, not what it said at login: for each
// re-queued job whose user has a legacy row, the row is read again by id and its sealed copy
// replaced, so that legacy data fixed since (empty names filled in) is what the target
// receives. When the legacy database is unreachable, or the row is gone or filtered out,
// the job keeps the copy taken at login. Either way the operator is told which was used.
import type { Knex } from 'knex';
import { LegacyUnavailableError } from '../errors.ts';
import type { LegacySource } from '../legacy/types.ts';
import type { SecretBox } from '../security/secret-box.ts';
import type { TargetFormat } from '../target/types.ts';
import { sealRow } from './outbox.ts';

export interface RowRefresh {
  /** Jobs now carrying the live legacy row. */
  live: number[];
  /** Jobs keeping the copy taken at login (or none, after a dead job's erasure). */
  snapshot: number[];
  /** Why the snapshot was kept, when it was for want of the legacy database. */
  unreachable: boolean;
}

export async function refreshRowCopies(
  deps: { db: Knex; legacy: LegacySource | undefined; target: TargetFormat; box: SecretBox },
  ids: number[],
): Promise<RowRefresh> {
  const { db, legacy, target, box } = deps;
  const result: RowRefresh = { live: [], snapshot: [], unreachable: false };
  if (ids.length === 0) return result;
  const jobs: Array<{ id: number | string; sub: string; payload: unknown }> = await db('outbox')
    .whereIn('id', ids)
    .orderBy('id')
    .select('id', 'sub', 'payload');
  for (const job of jobs) {
    const id = Number(job.id);
    const payload = (typeof job.payload === 'string' ? JSON.parse(job.payload) : job.payload) as {
      legacy_id?: string | null;
    };
    if (!legacy || result.unreachable || !payload?.legacy_id) {
      result.snapshot.push(id);
      continue;
    }
    try {
      const row = await legacy.findById(payload.legacy_id);
      if (!row) {
        result.snapshot.push(id);
        continue;
      }
      // The account's claims follow the row too: tokens and the delivery agree.
      await db.transaction(async (trx) => {
        await trx('outbox')
          .where({ id })
          .update({ row_data: sealRow(row.row, { target, box }), updated_at: trx.fn.now() });
        await trx('accounts')
          .where({ sub: job.sub })
          .update({ claims: JSON.stringify(legacy.mapClaims(row)), updated_at: trx.fn.now() });
      });
      result.live.push(id);
    } catch (err) {
      if (!(err instanceof LegacyUnavailableError)) throw err;
      result.unreachable = true;
      result.snapshot.push(id);
    }
  }
  return result;
}
