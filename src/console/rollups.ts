// Hourly rollups of what the console shows, so that a page reads a few thousand small rows
// instead of ten million audit events. Closed hours of the audit trail and of the accounts
// are counted once (behind a watermark, one replica at a time); the hours since are counted
// live. Snapshots (outbox depth, the legacy total) and counters flushed from this process's
// metrics (legacy errors and lookup time) are written into the same table.
import type { Knex } from 'knex';

export interface RollupRow {
  metric: string;
  bucket: Date;
  label: string;
  value: number;
}

/** Hours are rolled up this long after they end, so that late commits are inside. */
export const ROLLUP_LAG_MS = 5 * 60_000;
/** At most this much history per statement while catching up, so each stays short. */
const CHUNK_MS = 7 * 86_400_000;
/** Beyond this the live part would be slow: the page says history is still being rolled up. */
export const MAX_LIVE_MS = 48 * 3_600_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

const STATE = 'audit';
/** Metrics counted from the audit trail and the accounts, also kept by day as `metric@day`. */
const DAILY = ['login', 'delivery', 'lockout', 'migration', 'admin', 'unusable', 'accounts'];

export function hourOf(t: Date | number): Date {
  const ms = typeof t === 'number' ? t : t.getTime();
  return new Date(Math.floor(ms / HOUR_MS) * HOUR_MS);
}

export function dayOf(t: Date | number): Date {
  const ms = typeof t === 'number' ? t : t.getTime();
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS);
}

/**
 * The counts of [from, to) of the audit trail and the accounts, by hour. Labels:
 * login `outcome/reason/scheme`, unusable `scheme/reason`, lockout `reason`,
 * delivery `outcome/reason`, admin `type`, accounts `source`.
 */
function countsSql(db: Knex, from: Date, to: Date, only?: 'accounts'): Knex.Raw {
  if (only === 'accounts') {
    return db.raw(
      `SELECT 'accounts' AS metric, date_trunc('hour', created_at, 'UTC') AS bucket, source AS label,
              count(*)::float8 AS value
         FROM accounts WHERE created_at >= ? AND created_at < ? GROUP BY 2, 3`,
      [from, to],
    );
  }
  return db.raw(
    `SELECT CASE WHEN type LIKE 'admin.%' THEN 'admin' ELSE type END AS metric,
            date_trunc('hour', at, 'UTC') AS bucket,
            CASE type
              WHEN 'login' THEN outcome || '/' || coalesce(reason, '') || '/' || coalesce(details->>'scheme', '')
              WHEN 'delivery' THEN outcome || '/' || coalesce(reason, '')
              WHEN 'lockout' THEN coalesce(reason, '')
              ELSE CASE WHEN type LIKE 'admin.%' THEN type ELSE outcome END
            END AS label,
            count(*)::float8 AS value
       FROM audit_events
      WHERE at >= ? AND at < ? AND (type IN ('login', 'delivery', 'lockout', 'migration') OR type LIKE 'admin.%')
      GROUP BY 1, 2, 3
     UNION ALL
     SELECT 'unusable', date_trunc('hour', at, 'UTC'),
            coalesce(details->>'scheme', 'unknown') || '/' || coalesce(details->>'unusable', 'unknown'),
            count(*)::float8
       FROM audit_events
      WHERE type = 'login' AND at >= ? AND at < ? AND reason = 'hash_unusable'
      GROUP BY 2, 3
     UNION ALL
     SELECT 'accounts', date_trunc('hour', created_at, 'UTC'), source, count(*)::float8
       FROM accounts
      WHERE created_at >= ? AND created_at < ?
      GROUP BY 2, 3`,
    [from, to, from, to, from, to],
  );
}

/** Distinct subjects with a successful login on each whole day in [from, to). */
function usersSql(db: Knex, from: Date, to: Date): Knex.Raw {
  return db.raw(
    `SELECT 'login_users' AS metric, date_trunc('day', at, 'UTC') AS bucket, '' AS label,
            count(DISTINCT sub)::float8 AS value
       FROM audit_events
      WHERE type = 'login' AND outcome = 'success' AND at >= ? AND at < ?
      GROUP BY 2`,
    [from, to],
  );
}

function rowsOf(result: unknown): RollupRow[] {
  const rows = (
    result as {
      rows: Array<{ metric: string; bucket: Date | string; label: string; value: number | string }>;
    }
  ).rows;
  return rows.map((r) => ({
    metric: r.metric,
    bucket: new Date(r.bucket),
    label: r.label ?? '',
    value: Number(r.value),
  }));
}

async function upsert(db: Knex, rows: RollupRow[], mode: 'set' | 'add'): Promise<void> {
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows.slice(i, i + 1000);
    await db('rollups')
      .insert(chunk)
      .onConflict(['metric', 'bucket', 'label'])
      .merge(mode === 'set' ? ['value'] : { value: db.raw('rollups.value + excluded.value') });
  }
}

export function createRollups(db: Knex) {
  async function rolledUntil(): Promise<Date | undefined> {
    const row = await db('rollup_state').where({ name: STATE }).first('rolled_until');
    return row ? new Date(row.rolled_until) : undefined;
  }

  /** Where the first rollup starts: the hour of the oldest audit row or account. */
  async function origin(now: Date): Promise<Date> {
    const result = await db.raw(
      `SELECT least((SELECT min(at) FROM audit_events), (SELECT min(created_at) FROM accounts)) AS t`,
    );
    const t = (result as { rows: Array<{ t: Date | null }> }).rows[0]?.t;
    return hourOf(t ? new Date(t) : now);
  }

  return {
    rolledUntil,

    /**
     * Rolls closed hours up, one chunk per transaction, until the watermark reaches the last
     * hour that ended ROLLUP_LAG_MS ago. Another replica doing the same is skipped, not
     * waited for. Returns the watermark afterwards.
     */
    async advance(now = new Date(), opts: { maxChunks?: number } = {}): Promise<Date | undefined> {
      const target = hourOf(now.getTime() - ROLLUP_LAG_MS);
      if ((await rolledUntil()) === undefined) {
        const start = await origin(now);
        await db('rollup_state').insert({ name: STATE, rolled_until: start }).onConflict('name').ignore();
      }
      for (let chunk = 0; chunk < (opts.maxChunks ?? Number.POSITIVE_INFINITY); chunk++) {
        const moved = await db.transaction(async (trx) => {
          const state = await trx('rollup_state')
            .where({ name: STATE })
            .forUpdate()
            .skipLocked()
            .first('rolled_until');
          if (!state) return false;
          const from = new Date(state.rolled_until);
          if (from >= target) return false;
          const to = new Date(Math.min(target.getTime(), from.getTime() + CHUNK_MS));
          const rows = rowsOf(await countsSql(trx, from, to));
          // Distinct users are counted per whole day, for the days that end inside this chunk.
          const firstDay = dayOf(from);
          const lastDay = dayOf(to);
          if (lastDay > firstDay) rows.push(...rowsOf(await usersSql(trx, firstDay, lastDay)));
          await upsert(trx, rows, 'set');
          // The same counts by day, for pages that span months: a few rows per day instead of 24.
          await trx.raw(
            `INSERT INTO rollups (metric, bucket, label, value)
             SELECT metric || '@day', date_trunc('day', bucket, 'UTC'), label, sum(value)
               FROM rollups
              WHERE metric = ANY(?) AND bucket >= ? AND bucket < ?
              GROUP BY 1, 2, 3
             ON CONFLICT (metric, bucket, label) DO UPDATE SET value = excluded.value`,
            [DAILY, firstDay, to],
          );
          await trx('rollup_state')
            .where({ name: STATE })
            .update({ rolled_until: to, updated_at: trx.fn.now() });
          return true;
        });
        if (!moved) break;
      }
      return rolledUntil();
    },

    /** Records a value for the hour of `at`, replacing what an earlier snapshot wrote. */
    async snapshot(metric: string, values: Record<string, number>, at = new Date()): Promise<void> {
      const bucket = hourOf(at);
      const rows = Object.entries(values).map(([label, value]) => ({ metric, bucket, label, value }));
      if (rows.length) await upsert(db, rows, 'set');
    },

    /** Adds counts to the hour of `at` (each replica adds its own). */
    async add(metric: string, deltas: Record<string, number>, at = new Date()): Promise<void> {
      const bucket = hourOf(at);
      const rows = Object.entries(deltas)
        .filter(([, v]) => v !== 0)
        .map(([label, value]) => ({ metric, bucket, label, value }));
      if (rows.length) await upsert(db, rows, 'add');
    },

    /**
     * Rows of the given metrics from `from` on, hourly; closed hours from the rollups, the
     * hours since the watermark counted live (at most MAX_LIVE_MS of them).
     */
    async series(
      metrics: string[],
      from: Date,
      now = new Date(),
      opts: { daily?: boolean } = {},
    ): Promise<{ rows: RollupRow[]; complete: boolean }> {
      const until = (await rolledUntil()) ?? hourOf(now);
      const stored = (await db('rollups')
        .whereIn(
          'metric',
          metrics.map((m) => (opts.daily && DAILY.includes(m) ? `${m}@day` : m)),
        )
        .andWhere('bucket', '>=', from)
        .select('metric', 'bucket', 'label', 'value')) as RollupRow[];
      const rows = stored.map((r) => ({
        ...r,
        metric: r.metric.replace(/@day$/, ''),
        bucket: new Date(r.bucket),
        value: Number(r.value),
      }));
      const liveFrom = new Date(Math.max(until.getTime(), from.getTime(), now.getTime() - MAX_LIVE_MS));
      const complete = now.getTime() - until.getTime() <= MAX_LIVE_MS;
      const liveMetrics = metrics.filter((m) => m !== 'login_users' && !SNAPSHOT_METRICS.has(m));
      if (liveMetrics.length && liveFrom < now) {
        const live = rowsOf(await countsSql(db, liveFrom, now)).filter((r) => liveMetrics.includes(r.metric));
        // Counted live only where the rollups do not hold the hour yet.
        rows.push(...live.filter((r) => r.bucket >= until));
      }
      return { rows, complete };
    },

    /** All-time sums by label of metrics counted from the audit trail or the accounts. */
    async totals(metric: string, now = new Date()): Promise<Record<string, number>> {
      const until = (await rolledUntil()) ?? hourOf(now);
      const stored = (await db('rollups')
        .where({ metric: DAILY.includes(metric) ? `${metric}@day` : metric })
        .select('label')
        .sum({ value: 'value' })
        .groupBy('label')) as Array<{ label: string; value: number | string }>;
      const out: Record<string, number> = {};
      for (const r of stored) out[r.label] = Number(r.value);
      const liveFrom = new Date(Math.max(until.getTime(), now.getTime() - MAX_LIVE_MS));
      if (liveFrom < now) {
        const part = metric === 'accounts' ? 'accounts' : undefined;
        for (const r of rowsOf(await countsSql(db, liveFrom, now, part))) {
          if (r.metric === metric) out[r.label] = (out[r.label] ?? 0) + r.value;
        }
      }
      return out;
    },

    /** The newest snapshot of a metric, with the hour it was taken in. */
    async latest(metric: string): Promise<{ at: Date; values: Record<string, number> } | undefined> {
      const rows = (await db('rollups')
        .where({ metric })
        .andWhere('bucket', db('rollups').where({ metric }).max('bucket'))
        .select('bucket', 'label', 'value')) as Array<{
        bucket: Date | string;
        label: string;
        value: number | string;
      }>;
      if (rows.length === 0) return undefined;
      return {
        at: new Date(rows[0]!.bucket),
        values: Object.fromEntries(rows.map((r) => [r.label, Number(r.value)])),
      };
    },
  };
}

/** Metrics written as snapshots or flushed counters: never counted from the audit trail. */
export const SNAPSHOT_METRICS = new Set([
  'outbox',
  'legacy_total',
  'legacy_errors',
  'legacy_lookup',
  'throttled',
  'cutover_active',
]);

export type Rollups = ReturnType<typeof createRollups>;
