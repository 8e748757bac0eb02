// The cut-over figures `migration status` prints, with or without a legacy last-login
// column: migrated over the legacy total, logins a day through the bridge, and when the
// remaining active users will have logged in (projectCutover, from the observed rate); with
// a last-login column also today's readiness. Runs one rollup pass first, as the report does.
import type { Config } from '../config/schema.ts';
import type { LegacySource } from '../legacy/source.ts';
import type { Store } from '../store/db.ts';
import { progressFigures, projectCutover } from './progress.ts';
import { rollUpNow } from './tick.ts';

export interface CutoverSummary {
  legacy_total: number | null;
  covered: number;
  percent_migrated: number | null;
  window_days: number;
  logins_per_day: number;
  first_logins_per_day: number;
  projection: {
    basis: 'login_mix' | 'last_login';
    active_users: number | null;
    remaining_active: number | null;
    p90: string | null;
    p99: string | null;
    unavailable: string | null;
  };
  readiness: { active_users: number; with_account: number; percent: number | null } | null;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

export async function cutoverSummary(deps: {
  config: Config;
  store: Store;
  legacy: LegacySource | undefined;
  /** Today's active users from the last-login column, counted now by the caller. */
  active?: { users: number; withAccount: number } | undefined;
  now?: Date;
}): Promise<CutoverSummary> {
  const rollups = await rollUpNow({
    config: deps.config,
    db: deps.store.db,
    legacy: deps.legacy,
    now: deps.now,
  });
  const now = deps.now ?? new Date();
  const f = await progressFigures(rollups, { now });
  const window = f.days.slice(0, -1).slice(-f.projection.windowDays);
  const logins = window.reduce((s, d) => s + d.bridgeLogins + d.legacyLogins, 0);
  // Today's count from the column beats the daily snapshot the console keeps.
  const p = deps.active
    ? projectCutover({
        migratedAtLogin: f.accounts.legacy ?? 0,
        window: window
          .filter((d) => d.users !== null)
          .map((d) => ({ users: d.users ?? 0, firstLogins: d.firstLogins })),
        active: deps.active,
        now,
      })
    : f.projection;
  const readiness = deps.active
    ? {
        active_users: deps.active.users,
        with_account: deps.active.withAccount,
        percent: deps.active.users > 0 ? round1((deps.active.withAccount / deps.active.users) * 100) : null,
      }
    : f.readiness
      ? {
          active_users: f.readiness.activeUsers,
          with_account: f.readiness.withAccount,
          percent: f.readiness.percent,
        }
      : null;
  return {
    legacy_total: f.legacyTotal,
    covered: f.covered,
    percent_migrated: f.percentMigrated,
    window_days: p.windowDays,
    logins_per_day: window.length ? round1(logins / window.length) : 0,
    first_logins_per_day: round1(p.firstLoginsPerDay),
    projection: {
      basis: p.basis,
      active_users: p.activeUsers,
      remaining_active: p.remainingActive,
      p90: p.p90 ? p.p90.toISOString().slice(0, 10) : null,
      p99: p.p99 ? p.p99.toISOString().slice(0, 10) : null,
      unavailable: p.unavailable ?? null,
    },
    readiness,
  };
}
