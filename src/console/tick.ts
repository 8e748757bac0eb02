// The console's periodic work, once a minute in each process that serves the admin
// listener: roll closed hours of the audit trail up, record the outbox depth and the legacy
// total, add this process's legacy errors, lookup times and throttling counts to the hour,
// and once a day (with a last-login column) the cut-over readiness. Never overlaps itself.
import type { Knex } from 'knex';
import type { Config } from '../config/schema.ts';
import { LegacyNotSupportedError, type LegacySource } from '../legacy/source.ts';
import { type Logger, silentLogger } from '../logger.ts';
import { createMetrics, type Metrics } from '../metrics.ts';
import { createDeliveryQueries } from '../migration/delivery-queries.ts';
import { cutoverFigures } from '../migration/import-status.ts';
import { OUTBOX_STATUSES } from '../migration/outbox.ts';
import { createRollups, type Rollups } from './rollups.ts';

export interface TickDeps {
  config: Config;
  db: Knex;
  rollups: Rollups;
  metrics: Metrics;
  logger: Logger;
  legacy?: LegacySource | undefined;
}

const LEGACY_TOTAL_EVERY_MS = 10 * 60_000;
const READINESS_EVERY_MS = 24 * 3_600_000;
const ACTIVE_DAYS = 90;

type Flushed = 'legacy_errors' | 'legacy_lookup' | 'throttled';

export function createConsoleTick(deps: TickDeps) {
  const { config, db, rollups, metrics, logger, legacy } = deps;
  const queries = createDeliveryQueries(db);
  const seen = new Map<string, number>();
  let running: Promise<void> | undefined;
  let readinessRunning = false;

  /** What each counter gained since the last flush, by rollup label. */
  async function deltas(): Promise<Record<Flushed, Record<string, number>>> {
    const out: Record<Flushed, Record<string, number>> = {
      legacy_errors: {},
      legacy_lookup: {},
      throttled: {},
    };
    const take = (metric: Flushed, label: string, value: number) => {
      const key = `${metric}\0${label}`;
      const delta = value - (seen.get(key) ?? 0);
      seen.set(key, value);
      if (delta > 0) out[metric][label] = (out[metric][label] ?? 0) + delta;
    };
    for (const v of (await metrics.legacyErrors.get()).values)
      take('legacy_errors', String(v.labels.code), v.value);
    for (const v of (await metrics.throttled.get()).values)
      take('throttled', String(v.labels.limiter), v.value);
    for (const v of (await metrics.legacyLookupSeconds.get()).values) {
      const name = (v as { metricName?: string }).metricName ?? '';
      if (name.endsWith('_bucket')) take('legacy_lookup', `le=${v.labels.le}`, v.value);
      else if (name.endsWith('_sum')) take('legacy_lookup', 'sum', v.value);
      else if (name.endsWith('_count')) take('legacy_lookup', 'count', v.value);
    }
    return out;
  }

  async function legacyTotal(now: Date): Promise<void> {
    if (!legacy) return;
    const last = await rollups.latest('legacy_total');
    if (last && now.getTime() - last.at.getTime() < LEGACY_TOTAL_EVERY_MS) return;
    let total: number;
    try {
      total = await legacy.count();
    } catch (err) {
      // A store that cannot count its users (http, ldap) has no legacy total to chart.
      if (err instanceof LegacyNotSupportedError) return;
      throw err;
    }
    await rollups.snapshot('legacy_total', { '': total }, now);
  }

  /** A whole pass over the legacy table: daily, in the background, never twice at once. */
  async function readiness(now: Date): Promise<void> {
    if (!legacy || !config.legacy?.columns.last_login || readinessRunning) return;
    const last = await rollups.latest('cutover_active');
    if (last && now.getTime() - last.at.getTime() < READINESS_EVERY_MS) return;
    readinessRunning = true;
    void cutoverFigures(db, config.legacy, legacy, ACTIVE_DAYS)
      .then((f) =>
        rollups.snapshot(
          'cutover_active',
          { users: f.active_users ?? 0, with_account: f.active_with_account ?? 0 },
          new Date(),
        ),
      )
      .catch((err) => logger.warn({ err: { message: (err as Error).message } }, 'cut-over readiness failed'))
      .finally(() => {
        readinessRunning = false;
      });
  }

  async function once(now: Date): Promise<void> {
    await rollups.advance(now);
    const counts = await queries.countByStatus();
    for (const status of OUTBOX_STATUSES) metrics.outboxJobs.set({ status }, counts[status]);
    await rollups.snapshot('outbox', counts, now);
    const d = await deltas();
    for (const metric of Object.keys(d) as Flushed[]) await rollups.add(metric, d[metric], now);
    try {
      await legacyTotal(now);
      await readiness(now);
    } catch (err) {
      // The legacy database being down must not stop the rest of the console's figures.
      logger.debug({ err: { message: (err as Error).message } }, 'legacy figures skipped');
    }
  }

  return {
    /** Waits for a pass in progress, if any. */
    async settle(): Promise<void> {
      await running;
    },

    /** Runs one pass (or joins the one running). Errors are logged, not thrown. */
    run(now = new Date()): Promise<void> {
      running ??= once(now)
        .catch((err) => logger.warn({ err: { message: (err as Error).message } }, 'console rollup failed'))
        .finally(() => {
          running = undefined;
        });
      return running;
    },
  };
}

export type ConsoleTick = ReturnType<typeof createConsoleTick>;

/** One rollup pass now, outside the console (the report, `migration status`): the rollups it filled. */
export async function rollUpNow(deps: {
  config: Config;
  db: Knex;
  legacy: LegacySource | undefined;
  now?: Date | undefined;
}): Promise<Rollups> {
  const rollups = createRollups(deps.db);
  await createConsoleTick({
    config: deps.config,
    db: deps.db,
    rollups,
    metrics: createMetrics({ defaultMetrics: false }),
    logger: silentLogger,
    legacy: deps.legacy,
  }).run(deps.now);
  return rollups;
}
