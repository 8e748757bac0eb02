// The cut-over figures for `migration status`: the legacy users still without a bridge
// account, by hash scheme, and the readiness figure (of the users active in the last N
// days, the share that has an account). One keyset pass over the legacy table, since the
// two databases cannot be joined; the rejected count comes from the import's checkpoint.
import type { Knex } from 'knex';
import type { LegacyConfig } from '../config/schema.ts';
import type { LegacySource } from '../legacy/types.ts';
import { schemeOf } from './import-plan.ts';
import { createImportStore } from './import-store.ts';

export interface CutoverFigures {
  /** Rows the last bulk import rejected; null when no import has run. */
  import_rejected: number | null;
  /** Legacy users without an account, by the scheme of their hash. */
  left_by_scheme: Record<string, number>;
  active_days: number;
  /** Users whose last login is within active_days; null without legacy.columns.last_login. */
  active_users: number | null;
  active_with_account: number | null;
  /** active_with_account / active_users in percent, one decimal. */
  readiness_percent: number | null;
}

const PAGE = 5000;

function lastLoginOf(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime();
  // Unix seconds in an INT column, as many PHP tables keep it.
  if (typeof value === 'number' || typeof value === 'bigint') return Number(value) * 1000;
  if (typeof value === 'string' && value !== '') {
    const t = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

export async function cutoverFigures(
  db: Knex,
  config: LegacyConfig,
  legacy: LegacySource,
  activeDays: number,
): Promise<CutoverFigures> {
  const store = createImportStore(db);
  const checkpoint = await store.readCheckpoint<{ rejected?: number }>();
  const column = config.columns.last_login;
  const since = Date.now() - activeDays * 86_400_000;
  const left: Record<string, number> = {};
  let active = 0;
  let activeWithAccount = 0;
  let after: string | undefined;
  for (;;) {
    const rows = await legacy.page(after, PAGE);
    if (rows.length === 0) break;
    after = rows.at(-1)!.id;
    const existing = await store.existingLegacyIds(rows.map((r) => r.id));
    for (const row of rows) {
      const has = existing.has(row.id);
      if (!has) {
        const scheme = schemeOf(row.password ?? '', row.salt, config.password.scheme);
        left[scheme] = (left[scheme] ?? 0) + 1;
      }
      if (column) {
        const at = lastLoginOf(row.row[column]);
        if (at !== undefined && at >= since) {
          active += 1;
          if (has) activeWithAccount += 1;
        }
      }
    }
  }
  return {
    import_rejected: checkpoint ? Number(checkpoint.counts.rejected ?? 0) : null,
    left_by_scheme: Object.fromEntries(Object.entries(left).sort(([a], [b]) => a.localeCompare(b))),
    active_days: activeDays,
    active_users: column ? active : null,
    active_with_account: column ? activeWithAccount : null,
    readiness_percent: column && active > 0 ? Math.round((activeWithAccount / active) * 1000) / 10 : null,
  };
}
