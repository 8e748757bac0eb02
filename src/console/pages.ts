// What each console page shows: its figures and its charts, built once here for the
// console's routes and for `migration report --html` alike.
import type { Knex } from 'knex';
import { lineChart, type Series, stackedBars } from './charts.ts';
import { deliveryFigures, securityFigures } from './figures.ts';
import { progressFigures } from './progress.ts';
import type { Rollups } from './rollups.ts';

export const STATUS_LABEL: Record<string, string> = {
  pending: 'Waiting',
  delivered: 'Delivered',
  failed: 'Failed',
  conflict: 'Conflict',
  dead: 'Dead letters',
  skipped: 'Skipped (no target)',
};

export async function progressPage(rollups: Rollups, opts: { now?: Date } = {}) {
  const figures = await progressFigures(rollups, { days: 90, ...(opts.now ? { now: opts.now } : {}) });
  const x = (day: string) => new Date(`${day}T00:00:00Z`);
  const shown = figures.days.slice(-60);
  const migrated: Series[] = [
    { name: 'Migrated', points: shown.map((d) => ({ x: x(d.day), y: d.covered })) },
  ];
  if (figures.legacyTotal !== null) {
    migrated.push({
      name: 'Remaining in the legacy database',
      points: shown.map((d) => ({ x: x(d.day), y: d.remaining ?? 0 })),
      color: 1,
      dashed: true,
    });
  }
  const days30 = figures.days.slice(-30);
  return {
    figures,
    generatedAt: figures.generatedAt,
    tableDays: [...days30].reverse(),
    charts: {
      migrated: lineChart(
        {
          id: 'chart-migrated',
          title: 'Migrated and remaining users per day',
          description: `Accounts taken over from the legacy database at the end of each of the last ${shown.length} days${figures.legacyTotal === null ? '' : ', and the legacy users still without one'}.`,
        },
        migrated,
      ),
      logins: stackedBars(
        {
          id: 'chart-logins',
          title: 'Successful logins per day by source',
          description: `Logins of the last ${days30.length} days: with the bridge's own hash, checked against the legacy database, and first logins that migrated a user.`,
        },
        days30.map((d) => x(d.day)),
        [
          { name: 'Bridge hash', points: days30.map((d) => ({ x: x(d.day), y: d.bridgeLogins })) },
          {
            name: 'Legacy check, returning',
            points: days30.map((d) => ({ x: x(d.day), y: d.legacyLogins - d.firstLogins })),
            color: 5,
          },
          {
            name: 'First login (migrated)',
            points: days30.map((d) => ({ x: x(d.day), y: d.firstLogins })),
            color: 2,
          },
        ],
      ),
    },
  };
}

export async function deliveryPage(db: Knex, rollups: Rollups, opts: { now?: Date } = {}) {
  const figures = await deliveryFigures(db, rollups, opts);
  const depthOrder = ['pending', 'failed', 'conflict', 'dead'];
  const depth: Series[] = depthOrder
    .filter((s) => figures.depth.has(s))
    .map((s) => ({ name: STATUS_LABEL[s]!, points: figures.depth.get(s)!, color: depthOrder.indexOf(s) }));
  const outcomeOrder = ['delivered', 'retried', 'failed'];
  return {
    figures,
    generatedAt: figures.generatedAt,
    statusLabel: STATUS_LABEL,
    charts: {
      depth: lineChart(
        {
          id: 'chart-depth',
          title: 'Outbox depth by status, hourly',
          description:
            'Delivery jobs waiting, failed, in conflict and dead, as counted each hour of the last 14 days.',
          unit: 'hour',
        },
        depth,
      ),
      outcomes: stackedBars(
        {
          id: 'chart-outcomes',
          title: 'Delivery attempts per day by outcome',
          description: 'Attempts of the last 14 days that delivered a user, will be retried, or failed.',
        },
        figures.dayTimes,
        outcomeOrder.map((o, i) => ({
          name: o === 'retried' ? 'Will be retried' : o === 'failed' ? 'Failed' : 'Delivered',
          points: figures.outcomes.get(o) ?? [],
          color: [2, 4, 1][i]!,
        })),
      ),
    },
  };
}

export async function securityPage(rollups: Rollups, opts: { now?: Date } = {}) {
  const figures = await securityFigures(rollups, opts);
  const hourly = (m: Map<string, Array<{ x: Date; y: number }>>): Series[] =>
    [...m].map(([name, points], i) => ({ name, points, color: i }));
  const blank = figures.hourTimes.map((x) => ({ x, y: 0 }));
  return {
    figures,
    generatedAt: figures.generatedAt,
    charts: {
      failures: stackedBars(
        {
          id: 'chart-failures',
          title: 'Failed logins per hour by reason',
          description: 'Failed logins of the last 48 hours, by the reason the bridge recorded.',
          unit: 'hour',
        },
        figures.hourTimes,
        hourly(figures.failures),
      ),
      lockouts: lineChart(
        {
          id: 'chart-lockouts',
          title: 'Lockouts and throttling per hour',
          description:
            'Lockouts started and login attempts refused by throttling in each of the last 48 hours.',
          unit: 'hour',
        },
        [
          { name: 'Lockouts', points: figures.lockouts.get('lockouts') ?? blank, color: 1 },
          {
            name: 'Refused by throttling',
            points: figures.throttled.get('refused by throttling') ?? blank,
            color: 0,
          },
        ],
      ),
      legacyErrors: stackedBars(
        {
          id: 'chart-legacy-errors',
          title: 'Legacy database errors per hour',
          description: 'Errors talking to the legacy database in each of the last 48 hours, by code.',
          unit: 'hour',
        },
        figures.hourTimes,
        hourly(figures.legacyErrors),
      ),
      latency: lineChart(
        {
          id: 'chart-latency',
          title: 'Legacy lookup time per hour',
          description:
            'Mean and 95th percentile of the time one legacy lookup took, in milliseconds, per hour.',
          unit: 'hour',
        },
        [
          { name: 'Mean', points: figures.latencyMean },
          { name: '95th percentile', points: figures.latencyP95, color: 1, dashed: true },
        ].filter((s) => s.points.length > 0),
      ),
    },
  };
}
