// How far the migration has come and when the legacy database can go: the figures of the
// console's Progress page, of `migration report` and of `migration status`. Read from the
// rollups (never the raw audit trail), so they cost the same at any size. The projection
// is a pure function, documented where it is defined, and tested on its own.
import { dayOf, type Rollups } from './rollups.ts';

const DAY_MS = 86_400_000;

export interface DayFigures {
  /** YYYY-MM-DD, UTC. */
  day: string;
  /** Accounts created that day (migrated at login, imported or local). */
  newAccounts: number;
  /** Accounts that came from the legacy store (at login or by import), at the end of the day. */
  covered: number;
  /** Legacy users without an account at the end of the day; null without a legacy total. */
  remaining: number | null;
  /** Successful logins with the bridge's own hash. */
  bridgeLogins: number;
  /** Successful logins checked against the legacy store, first logins included. */
  legacyLogins: number;
  /** First logins: an account created from the legacy row. */
  firstLogins: number;
  failedLogins: number;
  /** Distinct users who logged in; null for today, which is not over. */
  users: number | null;
}

export interface SchemeFigures {
  scheme: string;
  logins7: number;
  logins30: number;
  firstLogins30: number;
}

export interface ProjectionInput {
  /** Accounts created at a first login (lazy migration): users known to be active. */
  migratedAtLogin: number;
  /** The window's complete days, oldest first. */
  window: Array<{ users: number; firstLogins: number }>;
  /** From a legacy last-login column: users active lately, and those of them with an account. */
  active?: { users: number; withAccount: number } | undefined;
  now: Date;
}

export interface Projection {
  basis: 'login_mix' | 'last_login';
  windowDays: number;
  /** Distinct users logging in per day, on average over the window. */
  usersPerDay: number;
  firstLoginsPerDay: number;
  /** Estimated users who still log in, migrated or not. */
  activeUsers: number | null;
  /** Estimated active users without an account yet. */
  remainingActive: number | null;
  /** The chance that one active user logs in on a given day. */
  dailyLoginChance: number | null;
  /** When 90% and 99% of the remaining active users will have logged in. */
  p90: Date | null;
  p99: Date | null;
  /** Set when no projection can be made, saying why. */
  unavailable?: string;
}

/**
 * The cut-over projection. Assumes every active user logs in on a given day with the same
 * chance p, migrated or not. Then the share of a day's logins that are first logins is the
 * share of active users not yet migrated (u = first logins / users), the users migrated at
 * login are the other 1 − u of the active users (A = migrated / (1 − u)), p = users per day
 * / A, and the remaining active users R = A · u fall as R · (1 − p)^t: a share q of them has
 * logged in after ln(1 − q) / ln(1 − p) days. A legacy last-login column gives A and R
 * directly instead.
 */
export function projectCutover(input: ProjectionInput): Projection {
  const days = input.window.length;
  const users = input.window.reduce((s, d) => s + d.users, 0);
  const first = input.window.reduce((s, d) => s + d.firstLogins, 0);
  const base = {
    windowDays: days,
    usersPerDay: days ? users / days : 0,
    firstLoginsPerDay: days ? first / days : 0,
  };
  const none = (unavailable: string): Projection => ({
    basis: input.active ? 'last_login' : 'login_mix',
    ...base,
    activeUsers: input.active?.users ?? null,
    remainingActive: input.active ? input.active.users - input.active.withAccount : null,
    dailyLoginChance: null,
    p90: null,
    p99: null,
    unavailable,
  });
  if (days === 0 || users === 0) return none('no logins through the bridge in the days observed yet');
  let active: number;
  let remaining: number;
  let basis: Projection['basis'];
  if (input.active && input.active.users > 0) {
    basis = 'last_login';
    active = input.active.users;
    remaining = Math.max(0, input.active.users - input.active.withAccount);
  } else {
    basis = 'login_mix';
    const u = Math.min(first / users, 1);
    if (u >= 1)
      return none('every login so far is a first login, so the active users cannot be estimated yet');
    if (input.migratedAtLogin === 0) return none('no user has migrated at login yet');
    active = input.migratedAtLogin / (1 - u);
    remaining = active * u;
  }
  const p = Math.min(base.usersPerDay / active, 1);
  const at = (q: number): Date | null => {
    if (remaining < 1) return input.now;
    if (p <= 0) return null;
    if (p >= 1) return new Date(input.now.getTime() + DAY_MS);
    return new Date(input.now.getTime() + (Math.log(1 - q) / Math.log(1 - p)) * DAY_MS);
  };
  return {
    basis,
    ...base,
    activeUsers: Math.round(active),
    remainingActive: Math.round(remaining),
    dailyLoginChance: p,
    p90: at(0.9),
    p99: at(0.99),
  };
}

export interface ProgressFigures {
  generatedAt: Date;
  legacyTotal: number | null;
  legacyTotalAt: Date | null;
  accounts: Record<string, number>;
  /** Accounts from the legacy store (migrated at login or imported). */
  covered: number;
  percentMigrated: number | null;
  remaining: number | null;
  days: DayFigures[];
  schemes: SchemeFigures[];
  projection: Projection;
  /** From the legacy last-login column, when configured: today's cut-over readiness. */
  readiness: { activeUsers: number; withAccount: number; percent: number | null; at: Date } | null;
  /** False while history is still being rolled up: older figures are not in yet. */
  complete: boolean;
}

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

export async function progressFigures(
  rollups: Rollups,
  opts: { days?: number; windowDays?: number; now?: Date } = {},
): Promise<ProgressFigures> {
  const now = opts.now ?? new Date();
  const nDays = opts.days ?? 90;
  const windowDays = opts.windowDays ?? 14;
  const today = dayOf(now);
  const from = new Date(today.getTime() - (nDays - 1) * DAY_MS);
  const [series, accountTotals, legacy, active] = await Promise.all([
    rollups.series(['accounts', 'login', 'login_users'], from, now, { daily: true }),
    rollups.totals('accounts', now),
    rollups.latest('legacy_total'),
    rollups.latest('cutover_active'),
  ]);
  const legacyTotal = legacy ? (legacy.values[''] ?? null) : null;
  const covered = (accountTotals.legacy ?? 0) + (accountTotals.import ?? 0);

  const byDay = new Map<string, DayFigures>();
  for (let i = 0; i < nDays; i++) {
    const day = isoDay(new Date(from.getTime() + i * DAY_MS));
    byDay.set(day, {
      day,
      newAccounts: 0,
      covered: 0,
      remaining: null,
      bridgeLogins: 0,
      legacyLogins: 0,
      firstLogins: 0,
      failedLogins: 0,
      users: null,
    });
  }
  const coveredByDay = new Map<string, number>();
  const schemes = new Map<string, SchemeFigures>();
  const since7 = today.getTime() - 6 * DAY_MS;
  const since30 = today.getTime() - 29 * DAY_MS;
  for (const r of series.rows) {
    const d = byDay.get(isoDay(r.bucket));
    if (!d) continue;
    if (r.metric === 'accounts') {
      d.newAccounts += r.value;
      if (r.label === 'legacy' || r.label === 'import')
        coveredByDay.set(d.day, (coveredByDay.get(d.day) ?? 0) + r.value);
    } else if (r.metric === 'login_users') {
      d.users = (d.users ?? 0) + r.value;
    } else if (r.metric === 'login') {
      const [outcome, reason, scheme = ''] = r.label.split('/');
      if (outcome !== 'success') {
        d.failedLogins += r.value;
        continue;
      }
      if (reason === 'bridge') d.bridgeLogins += r.value;
      else d.legacyLogins += r.value;
      if (reason === 'migrated') d.firstLogins += r.value;
      if (reason !== 'bridge' && scheme) {
        const s = schemes.get(scheme) ?? { scheme, logins7: 0, logins30: 0, firstLogins30: 0 };
        const t = r.bucket.getTime();
        if (t >= since7) s.logins7 += r.value;
        if (t >= since30) {
          s.logins30 += r.value;
          if (reason === 'migrated') s.firstLogins30 += r.value;
        }
        schemes.set(scheme, s);
      }
    }
  }
  // Cumulative coverage: what the window added, on top of what came before it.
  const inWindow = [...coveredByDay.values()].reduce((a, b) => a + b, 0);
  let running = covered - inWindow;
  const days = [...byDay.values()];
  for (const d of days) {
    running += coveredByDay.get(d.day) ?? 0;
    d.covered = running;
    d.remaining = legacyTotal === null ? null : Math.max(0, legacyTotal - running);
    if (d.day === isoDay(today)) d.users = null;
  }
  const window = days
    .slice(0, -1)
    .slice(-windowDays)
    .filter((d) => d.users !== null)
    .map((d) => ({ users: d.users ?? 0, firstLogins: d.firstLogins }));
  const activeUsers = active?.values.users;
  const withAccount = active?.values.with_account;
  const readiness =
    active && activeUsers !== undefined && withAccount !== undefined
      ? {
          activeUsers,
          withAccount,
          percent: activeUsers > 0 ? Math.round((withAccount / activeUsers) * 1000) / 10 : null,
          at: active.at,
        }
      : null;
  return {
    generatedAt: now,
    legacyTotal,
    legacyTotalAt: legacy?.at ?? null,
    accounts: accountTotals,
    covered,
    percentMigrated: legacyTotal ? Math.round((covered / legacyTotal) * 1000) / 10 : null,
    remaining: legacyTotal === null ? null : Math.max(0, legacyTotal - covered),
    days,
    schemes: [...schemes.values()].sort(
      (a, b) => b.logins30 - a.logins30 || a.scheme.localeCompare(b.scheme),
    ),
    projection: projectCutover({
      migratedAtLogin: accountTotals.legacy ?? 0,
      window,
      active: readiness ? { users: readiness.activeUsers, withAccount: readiness.withAccount } : undefined,
      now,
    }),
    readiness,
    complete: series.complete,
  };
}
