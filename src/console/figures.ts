// The figures of the Delivery and Security pages, from the rollups and, for the failures
// an operator acts on, from the outbox itself (failed, conflict and dead jobs only, which
// the status index finds). Never a password form: the secret column is not selected.
import type { Knex } from 'knex';
import { OUTBOX_STATUSES, type OutboxStatus } from '../migration/outbox.ts';
import { dayOf, hourOf, type Rollups } from './rollups.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface Point {
  x: Date;
  y: number;
}

function timeline(from: Date, step: number, n: number): Date[] {
  return Array.from({ length: n }, (_, i) => new Date(from.getTime() + i * step));
}

/** Sums rows into series by a key the caller derives from the label, on a fixed timeline. */
function group(
  rows: Array<{ bucket: Date; label: string; value: number }>,
  times: Date[],
  step: 'hour' | 'day',
  keyOf: (label: string) => string | undefined,
): Map<string, Point[]> {
  const index = new Map(times.map((t, i) => [t.getTime(), i]));
  const out = new Map<string, Point[]>();
  for (const r of rows) {
    const key = keyOf(r.label);
    if (key === undefined) continue;
    const at = (step === 'hour' ? hourOf(r.bucket) : dayOf(r.bucket)).getTime();
    const i = index.get(at);
    if (i === undefined) continue;
    let points = out.get(key);
    if (!points) {
      points = times.map((x) => ({ x, y: 0 }));
      out.set(key, points);
    }
    points[i]!.y += r.value;
  }
  return out;
}

export interface FailureGroup {
  status: OutboxStatus;
  reason: string;
  /** The field the error names, when it names one. */
  field: string | null;
  /** One error of the group, its legacy row number taken out. */
  error: string;
  jobs: number;
  sample: { id: number; sub: string; legacyId: string | null };
}

/**
 * The field an error message names: "legacy row 7: first_name is required" or "target
 * answered 400 validation_error: email: already taken".
 */
export function fieldOf(error: string | null): string | null {
  if (!error) return null;
  const text = error.replace(/^legacy row [^:]*: /, '').replace(/^target answered \d{3}(?: [a-z_]+)?: /, '');
  const m = /^([A-Za-z_][A-Za-z0-9_.]*)(?::| is | must | has | does | should | not )/.exec(text);
  return m ? m[1]! : null;
}

export async function deliveryFigures(db: Knex, rollups: Rollups, opts: { days?: number; now?: Date } = {}) {
  const now = opts.now ?? new Date();
  const nDays = opts.days ?? 14;
  const hours = nDays * 24;
  const fromHour = new Date(hourOf(now).getTime() - (hours - 1) * HOUR_MS);
  const fromDay = new Date(dayOf(now).getTime() - (nDays - 1) * DAY_MS);
  const [depth, deliveries, latest] = await Promise.all([
    rollups.series(['outbox'], fromHour, now),
    rollups.series(['delivery'], fromDay, now, { daily: true }),
    rollups.latest('outbox'),
  ]);
  const hourTimes = timeline(fromHour, HOUR_MS, hours);
  const depthSeries = group(depth.rows, hourTimes, 'hour', (l) =>
    ['pending', 'failed', 'conflict', 'dead'].includes(l) ? l : undefined,
  );
  // Hours with no snapshot (no console running then) are gaps, not zeros.
  const snapshotHours = new Set(depth.rows.map((r) => hourOf(r.bucket).getTime()));
  for (const [k, points] of depthSeries)
    depthSeries.set(
      k,
      points.filter((p) => snapshotHours.has(p.x.getTime())),
    );
  const dayTimes = timeline(fromDay, DAY_MS, nDays);
  const outcomes = group(deliveries.rows, dayTimes, 'day', (l) => {
    const [outcome, reason] = l.split('/');
    if (outcome === 'success') return 'delivered';
    return reason === 'retry' ? 'retried' : 'failed';
  });
  const counts =
    latest && now.getTime() - latest.at.getTime() < 2 * HOUR_MS
      ? (Object.fromEntries(OUTBOX_STATUSES.map((s) => [s, latest.values[s] ?? 0])) as Record<
          OutboxStatus,
          number
        >)
      : undefined;

  const grouped = (await db.raw(
    `SELECT status, coalesce(last_reason, '') AS reason,
            regexp_replace(coalesce(last_error, ''), '^legacy row [^:]*: ', '') AS error,
            count(*) AS jobs, max(id) AS sample
       FROM outbox
      WHERE status IN ('failed', 'conflict', 'dead')
      GROUP BY 1, 2, 3
      ORDER BY count(*) DESC, max(id) DESC
      LIMIT 50`,
  )) as {
    rows: Array<{
      status: OutboxStatus;
      reason: string;
      error: string;
      jobs: number | string;
      sample: number | string;
    }>;
  };
  const sampleIds = grouped.rows.map((r) => Number(r.sample));
  const samples = sampleIds.length
    ? ((await db('outbox as o')
        .leftJoin('accounts as a', 'a.sub', 'o.sub')
        .whereIn('o.id', sampleIds)
        .select(
          'o.id',
          'o.sub',
          db.raw("coalesce(a.legacy_id, o.payload->>'legacy_id') as legacy_id"),
        )) as Array<{
        id: number | string;
        sub: string;
        legacy_id: string | null;
      }>)
    : [];
  const byId = new Map(samples.map((s) => [Number(s.id), s]));
  const failures: FailureGroup[] = grouped.rows.map((r) => {
    const s = byId.get(Number(r.sample));
    return {
      status: r.status,
      reason: r.reason,
      field: fieldOf(r.error),
      error: r.error,
      jobs: Number(r.jobs),
      sample: { id: Number(r.sample), sub: s?.sub ?? '', legacyId: s?.legacy_id ?? null },
    };
  });
  return {
    generatedAt: now,
    counts,
    countsAt: latest?.at ?? null,
    depth: depthSeries,
    hourTimes,
    outcomes,
    dayTimes,
    failures,
    complete: depth.complete && deliveries.complete,
  };
}

export type DeliveryFigures = Awaited<ReturnType<typeof deliveryFigures>>;

export async function securityFigures(
  rollups: Rollups,
  opts: { hours?: number; days?: number; now?: Date } = {},
) {
  const now = opts.now ?? new Date();
  const nHours = opts.hours ?? 48;
  const nDays = opts.days ?? 30;
  const fromHour = new Date(hourOf(now).getTime() - (nHours - 1) * HOUR_MS);
  const fromDay = new Date(dayOf(now).getTime() - (nDays - 1) * DAY_MS);
  const [hourly, unusable, legacy] = await Promise.all([
    rollups.series(['login', 'lockout', 'throttled'], fromHour, now),
    rollups.series(['unusable'], fromDay, now, { daily: true }),
    rollups.series(['legacy_errors', 'legacy_lookup'], fromHour, now),
  ]);
  const hourTimes = timeline(fromHour, HOUR_MS, nHours);
  const failures = group(
    hourly.rows.filter((r) => r.metric === 'login'),
    hourTimes,
    'hour',
    (l) => {
      const [outcome, reason] = l.split('/');
      if (outcome !== 'failure') return undefined;
      return reason === 'unknown_user' || reason === 'wrong_password'
        ? 'wrong password or unknown user'
        : reason;
    },
  );
  const lockouts = group(
    hourly.rows.filter((r) => r.metric === 'lockout'),
    hourTimes,
    'hour',
    () => 'lockouts',
  );
  const throttled = group(
    hourly.rows.filter((r) => r.metric === 'throttled'),
    hourTimes,
    'hour',
    () => 'refused by throttling',
  );
  const unusableTable = new Map<
    string,
    { scheme: string; reason: string; logins: number; first: Date; last: Date }
  >();
  for (const r of unusable.rows) {
    const [scheme = 'unknown', reason = 'unknown'] = r.label.split('/');
    const key = `${scheme}/${reason}`;
    const e = unusableTable.get(key) ?? { scheme, reason, logins: 0, first: r.bucket, last: r.bucket };
    e.logins += r.value;
    if (r.bucket < e.first) e.first = r.bucket;
    if (r.bucket > e.last) e.last = r.bucket;
    unusableTable.set(key, e);
  }
  const legacyErrors = group(
    legacy.rows.filter((r) => r.metric === 'legacy_errors'),
    hourTimes,
    'hour',
    (l) => l,
  );
  // Mean and 95th percentile of the legacy lookup, per hour, from the flushed histogram.
  const perHour = new Map<number, { sum: number; count: number; buckets: Map<number, number> }>();
  for (const r of legacy.rows.filter((x) => x.metric === 'legacy_lookup')) {
    const h = hourOf(r.bucket).getTime();
    const e = perHour.get(h) ?? { sum: 0, count: 0, buckets: new Map<number, number>() };
    if (r.label === 'sum') e.sum += r.value;
    else if (r.label === 'count') e.count += r.value;
    else if (r.label.startsWith('le=')) {
      const le = r.label === 'le=+Inf' ? Number.POSITIVE_INFINITY : Number(r.label.slice(3));
      e.buckets.set(le, (e.buckets.get(le) ?? 0) + r.value);
    }
    perHour.set(h, e);
  }
  const latencyMean: Point[] = [];
  const latencyP95: Point[] = [];
  for (const [h, e] of [...perHour].sort(([a], [b]) => a - b)) {
    if (e.count === 0) continue;
    latencyMean.push({ x: new Date(h), y: (e.sum / e.count) * 1000 });
    const wanted = e.count * 0.95;
    const le = [...e.buckets].sort(([a], [b]) => a - b).find(([, n]) => n >= wanted)?.[0];
    if (le !== undefined && Number.isFinite(le)) latencyP95.push({ x: new Date(h), y: le * 1000 });
  }
  const sum = (m: Map<string, Point[]>) =>
    [...m.values()].reduce((s, points) => s + points.reduce((t, p) => t + p.y, 0), 0);
  return {
    generatedAt: now,
    hourTimes,
    failures,
    lockouts,
    throttled,
    totals: {
      failures: sum(failures),
      lockouts: sum(lockouts),
      throttled: sum(throttled),
      legacyErrors: sum(legacyErrors),
    },
    unusable: [...unusableTable.values()].sort((a, b) => b.logins - a.logins),
    unusableDays: nDays,
    legacyErrors,
    latencyMean,
    latencyP95,
    complete: hourly.complete && unusable.complete,
  };
}

export type SecurityFigures = Awaited<ReturnType<typeof securityFigures>>;
