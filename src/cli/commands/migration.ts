// migration status | list | retry: how far the migration has come and what the delivery
// worker could not do. Reads and re-queues outbox rows; never prints a password form.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Config } from '../../config/schema.ts';
import { type CutoverSummary, cutoverSummary } from '../../console/cutover-summary.ts';
import { migrationReport } from '../../console/report.ts';
import { UsageError } from '../../errors.ts';
import { createLegacySource } from '../../legacy/source.ts';
import { silentLogger } from '../../logger.ts';
import { createDeliveryQueries } from '../../migration/delivery-queries.ts';
import { type CutoverFigures, cutoverFigures } from '../../migration/import-status.ts';
import { OUTBOX_STATUSES, type OutboxStatus } from '../../migration/outbox.ts';
import {
  importedWithoutPasswordNotTold,
  undeliveredPasswordChanges,
} from '../../migration/password-change.ts';
import { type RowRefresh, refreshRowCopies } from '../../migration/retry-rows.ts';
import type { Store } from '../../store/db.ts';
import { createTargetFormat } from '../../target/registry.ts';
import { table, withStore } from '../context.ts';
import type { Command, Io } from '../framework.ts';
import { positiveInt, requireString } from '../framework.ts';

const statusUsage = `Usage: oidc-bridge migration status [--json] [--active-days N]

  Legacy users, migrated accounts, delivery jobs by status and accounts by legacy hash scheme;
  the users left by hash scheme and the cut-over readiness: of the legacy users active in the
  last N days (legacy.columns.last_login, default 90), the share that has an account.
  With --json, these figures come as "cutover" when --active-days is given.`;

const listUsage = `Usage: oidc-bridge migration list --status STATUS [--limit N] [--json]

  --status STATUS   one of ${OUTBOX_STATUSES.join(', ')}
  --limit N         at most N jobs, oldest first (default 50)`;

const retryUsage = `Usage: oidc-bridge migration retry [--dead] [--id N]

  Puts failed delivery jobs back in the queue, due now, with a fresh attempt budget. Each
  job's legacy row is read again when the legacy database is reachable (data fixed since is
  sent); otherwise the copy taken at login is kept. The output says which was used.
  --dead    dead jobs too: they kept their row copy, not their password form, so for a target
            that takes a password they wait (failed, no_password_form) until the user's next
            login gives them a fresh one, then deliver
  --id N    only job N`;

function percent(part: number, whole: number): number | null {
  return whole > 0 ? Math.round((part / whole) * 1000) / 10 : null;
}

/** The bulk import's cut-over figures; undefined when the legacy table cannot be read. */
async function cutover(
  db: Parameters<typeof cutoverFigures>[0],
  config: Parameters<typeof createLegacySource>[0] | undefined,
  activeDays: number,
): Promise<CutoverFigures | undefined> {
  if (!config) return undefined;
  const source = createLegacySource(config, { logger: silentLogger, probeSchema: false });
  try {
    return await cutoverFigures(db, config, source, activeDays);
  } catch {
    return undefined;
  } finally {
    await source.close().catch(() => {});
  }
}

/** The legacy row count, or the reason it could not be read: the status must still print. */
async function legacyTotal(
  config: Parameters<typeof createLegacySource>[0] | undefined,
): Promise<{ total: number | null; error?: string }> {
  if (!config) return { total: null };
  let source: ReturnType<typeof createLegacySource> | undefined;
  try {
    source = createLegacySource(config, { logger: silentLogger, probeSchema: false });
    return { total: await source.count() };
  } catch (err) {
    return { total: null, error: (err as Error).message };
  } finally {
    await source?.close().catch(() => {});
  }
}

/** The cut-over projection; undefined when it cannot be computed (the status still prints). */
async function readinessOf(
  config: Config,
  store: Store,
  active: { users: number; withAccount: number } | undefined,
): Promise<CutoverSummary | undefined> {
  const source = config.legacy
    ? createLegacySource(config.legacy, { logger: silentLogger, probeSchema: false })
    : undefined;
  try {
    return await cutoverSummary({ config, store, legacy: source, active });
  } catch {
    return undefined;
  } finally {
    await source?.close().catch(() => {});
  }
}

function printReadiness(io: Io, r: CutoverSummary): void {
  io.out('\ncut-over readiness');
  if (r.legacy_total !== null)
    io.out(
      `  migrated:              ${r.covered} of ${r.legacy_total} legacy users (${r.percent_migrated ?? 0}%)`,
    );
  io.out(
    `  logins a day:          ${r.logins_per_day} (${r.first_logins_per_day} first logins), over the last ${r.window_days} days`,
  );
  const p = r.projection;
  if (p.unavailable) io.out(`  projection:            none yet: ${p.unavailable}`);
  else {
    io.out(
      `  active users:          about ${p.active_users}, ${p.remaining_active} of them not migrated (${p.basis === 'last_login' ? 'from the last-login column' : 'estimated from the share of first logins'})`,
    );
    io.out(`  90% of them logged in: ${p.p90 ?? 'not at this rate'}; 99%: ${p.p99 ?? 'not at this rate'}`);
  }
  if (r.readiness)
    io.out(
      `  today (last-login column): ${r.readiness.percent ?? 0}% of the ${r.readiness.active_users} active users have an account`,
    );
  else io.out('  today: set legacy.columns.last_login for the share of active users already migrated');
}

const statusCommand: Command = {
  name: 'migration status',
  summary: 'legacy users, migrated accounts and delivery jobs by status',
  usage: statusUsage,
  options: { json: { type: 'boolean' }, 'active-days': { type: 'string' } },
  async run({ values }, io) {
    const activeDays = positiveInt(values, 'active-days', statusUsage, 90);
    return withStore(values, io, async ({ config, store }) => {
      const q = createDeliveryQueries(store.db);
      const [legacy, bySource, withLegacyId, jobs, schemes, figures, stalePasswords, unusableAtTarget] =
        await Promise.all([
          legacyTotal(config.legacy),
          q.accountsBySource(),
          q.accountsWithLegacyId(),
          q.countByStatus(),
          q.accountsByScheme(),
          cutover(store.db, config.legacy, activeDays),
          undeliveredPasswordChanges(store.db),
          importedWithoutPasswordNotTold(store.db),
        ]);
      const readiness = await readinessOf(
        config,
        store,
        figures?.active_users != null
          ? { users: figures.active_users, withAccount: figures.active_with_account ?? 0 }
          : undefined,
      );
      const report = {
        legacy_total: legacy.total,
        ...(legacy.error ? { legacy_error: legacy.error } : {}),
        migrated: bySource.legacy ?? 0,
        imported: bySource.import ?? 0,
        percent_migrated: legacy.total === null ? null : percent(withLegacyId, legacy.total),
        target: config.target.type,
        jobs,
        password_changes_not_delivered: stalePasswords,
        // Of those: imported without a password, logged in since; the target's password is unusable.
        imported_without_password_not_delivered: unusableAtTarget,
        schemes,
        // Only on request in JSON, so the shape existing scripts read stays as it was.
        ...(figures && values['active-days'] !== undefined ? { cutover: figures } : {}),
        ...(readiness ? { readiness } : {}),
      };
      if (values.json) {
        io.out(JSON.stringify(report));
        return 0;
      }
      const legacyLine =
        report.legacy_total !== null
          ? String(report.legacy_total)
          : legacy.error
            ? `unavailable (${legacy.error})`
            : 'not configured';
      io.out(`legacy users:      ${legacyLine}`);
      io.out(`migrated at login: ${report.migrated}`);
      if (report.imported) io.out(`imported:          ${report.imported}`);
      if (report.percent_migrated !== null) io.out(`migrated:          ${report.percent_migrated}%`);
      io.out(`\ndelivery (target: ${report.target})`);
      for (const s of OUTBOX_STATUSES) io.out(`  ${`${s}:`.padEnd(11)}${jobs[s]}`);
      if (stalePasswords) {
        io.out(
          `  password changes the target was not told of: ${stalePasswords} (its copy keeps an older password; ${config.password_changes === 'record' ? 'password_changes is record' : 'the target format takes no update'})`,
        );
      }
      if (unusableAtTarget) {
        io.out(
          `  imported without a password, logged in since, the target not told: ${unusableAtTarget}\n` +
            '    The target still holds the unusable password the import gave them: they can sign in there\n' +
            '    only through the bridge, or after a password reset at the target (the import set\n' +
            '    attributes.password_reset_required). Tell them, or have the platform send the reset;\n' +
            '    `oidc-bridge migration list --status skipped` lists them.',
        );
      }
      const schemeEntries = Object.entries(schemes);
      if (schemeEntries.length) {
        io.out('\naccounts by legacy hash scheme');
        for (const [scheme, n] of schemeEntries) io.out(`  ${`${scheme}:`.padEnd(24)}${n}`);
      }
      if (figures) {
        io.out('\ncut-over');
        io.out(`  imported:           ${report.imported}`);
        io.out(`  migrated at login:  ${report.migrated}`);
        io.out(`  rejected by import: ${figures.import_rejected ?? 'no import run'}`);
        io.out('  left, by legacy hash scheme:');
        for (const [scheme, n] of Object.entries(figures.left_by_scheme))
          io.out(`    ${`${scheme}:`.padEnd(22)}${n}`);
        io.out(
          figures.active_users === null
            ? '  readiness: set legacy.columns.last_login to see it'
            : `  readiness: ${figures.readiness_percent ?? 0}% of the ${figures.active_users} users active in the last ${figures.active_days} days have an account`,
        );
      }
      if (readiness) printReadiness(io, readiness);
      if (jobs.failed || jobs.dead) {
        io.out('\nSee them with: oidc-bridge migration list --status failed (or dead)');
      }
      return 0;
    });
  },
};

function parseStatus(values: Record<string, unknown>): OutboxStatus {
  const s = values.status;
  if (typeof s !== 'string' || s === '') throw new UsageError('--status is required.', listUsage);
  if (!(OUTBOX_STATUSES as readonly string[]).includes(s)) {
    throw new UsageError(`--status must be one of ${OUTBOX_STATUSES.join(', ')}, got "${s}".`, listUsage);
  }
  return s as OutboxStatus;
}

const listCommand: Command = {
  name: 'migration list',
  summary: 'delivery jobs of one status, with attempts and the last error',
  usage: listUsage,
  options: { status: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
  async run({ values }, io) {
    const status = parseStatus(values);
    const limit = positiveInt(values, 'limit', listUsage, 50);
    return withStore(values, io, async ({ store }) => {
      const jobs = await createDeliveryQueries(store.db).list(status, limit);
      if (values.json) {
        io.out(JSON.stringify(jobs));
        return 0;
      }
      if (jobs.length === 0) {
        io.out(`No ${status} jobs.`);
        return 0;
      }
      io.out(
        table(
          jobs.map((j) => ({ ...j, next_attempt: status === 'pending' ? j.next_attempt_at : '' })),
          ['id', 'sub', 'legacy_id', 'attempts', 'next_attempt', 'last_reason', 'last_error'],
        ),
      );
      return 0;
    });
  },
};

const retryCommand: Command = {
  name: 'migration retry',
  summary: 're-queue failed delivery jobs (--dead: dead ones too)',
  usage: retryUsage,
  options: { dead: { type: 'boolean' }, id: { type: 'string' } },
  async run({ values }, io: Io) {
    const id = values.id === undefined ? undefined : positiveInt(values, 'id', retryUsage, 0);
    const statuses: OutboxStatus[] = values.dead ? ['failed', 'dead'] : ['failed'];
    return withStore(values, io, async ({ config, store, box, audit }) => {
      const q = createDeliveryQueries(store.db);
      const legacy = config.legacy
        ? createLegacySource(config.legacy, { logger: silentLogger, probeSchema: false })
        : undefined;
      let ids: number[];
      let rows: RowRefresh;
      try {
        // The rows are read again before the jobs are due, so no worker sends the old copy.
        const candidates = await q.candidates(statuses, id);
        rows = await refreshRowCopies(
          {
            db: store.db,
            legacy,
            target: createTargetFormat(config.target, { logger: silentLogger, box }),
            box,
          },
          candidates,
        );
        ids = await q.requeue(statuses, id);
      } finally {
        await legacy?.close().catch(() => {});
      }
      if (ids.length) await q.notify();
      await audit.record({
        type: 'admin.delivery_retry',
        outcome: 'success',
        actor: 'cli',
        details: {
          jobs: ids.length,
          statuses,
          live_rows: rows.live.length,
          snapshots: rows.snapshot.length,
          ...(id !== undefined ? { id } : {}),
        },
      });
      if (id !== undefined && ids.length === 0) {
        const current = await q.findStatus(id);
        io.err(
          current === undefined
            ? `No job ${id}.`
            : `Job ${id} is ${current}; only ${statuses.join(' or ')} jobs are re-queued${values.dead ? '' : ' (add --dead for dead ones)'}.`,
        );
        return 1;
      }
      io.out(`Re-queued ${ids.length} job${ids.length === 1 ? '' : 's'}.`);
      if (rows.live.length) io.out(`  ${rows.live.length} with the live legacy row, read again now`);
      if (rows.snapshot.length && config.legacy)
        io.out(
          `  ${rows.snapshot.length} with the copy of the legacy row taken at login (${
            rows.unreachable ? 'the legacy database is unreachable' : 'its legacy row is gone or filtered out'
          })`,
        );
      return 0;
    });
  },
};

const reportUsage = `Usage: oidc-bridge migration report --html FILE

  Writes the operator console's Progress and Delivery pages as one self-contained HTML file
  (no script, nothing loaded from elsewhere), e.g. for a weekly e-mail to the business.
  --html FILE   where to write it; replaced whole, never left half-written`;

const reportCommand: Command = {
  name: 'migration report',
  summary: 'the progress and delivery pages as one self-contained HTML file',
  usage: reportUsage,
  options: { html: { type: 'string' } },
  async run({ values }, io) {
    const file = requireString(values, 'html', reportUsage);
    return withStore(values, io, async ({ config, store }) => {
      const source = config.legacy
        ? createLegacySource(config.legacy, { logger: silentLogger, probeSchema: false })
        : undefined;
      try {
        const html = await migrationReport({ config, store, legacy: source });
        const partial = `${file}.${process.pid}.tmp`;
        try {
          writeFileSync(partial, html);
          renameSync(partial, file);
        } catch (err) {
          rmSync(partial, { force: true });
          throw new UsageError(
            `Cannot write ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). Fix: give a path in a folder you can write to.`,
            reportUsage,
          );
        }
        io.out(`Wrote ${file}.`);
        return 0;
      } finally {
        await source?.close().catch(() => {});
      }
    });
  },
};

export const migrationCommands: Command[] = [statusCommand, listCommand, retryCommand, reportCommand];
