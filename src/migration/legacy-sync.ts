// The coexistence sweep (`accounts sync`, and the worker every
// legacy.coexistence.sweep_interval_seconds): pages through the bridge's accounts, never the
// legacy table, and looks each migrated account's legacy row up by id. An account whose row
// is gone or no longer passes legacy.where is disabled (its sessions and tokens revoked); one
// the sweep itself disabled is enabled again once its row is back. An account an operator
// disabled stays as it is. An unreachable legacy database stops the sweep: an outage never
// disables anyone. After cut-over (no legacy configured) there is nothing to sweep.
// Replicas share the periodic sweep through a lease in the store: one sweeps each round.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Config } from '../config/schema.ts';
import { LegacyUnavailableError } from '../errors.ts';
import type { LegacySource } from '../legacy/types.ts';
import type { Logger } from '../logger.ts';
import type { Audit } from '../security/audit.ts';
import { createPayloads } from '../sessions/payloads.ts';
import { createSessions } from '../sessions/sessions.ts';
import { releaseLease, takeLease } from '../store/lease.ts';
import type { ShortLivedStore } from '../store/redis.ts';
import { type AccountStatus, createAccountStatus } from './account-status.ts';

/** The actor the sweep writes into disabled_by and the audit trail. */
export const LEGACY_SYNC_ACTOR = 'legacy-sync';

/** The lease the periodic sweeps of all replicas share. */
export const SWEEP_LEASE = 'legacy-sync';

export interface SyncReport {
  checked: number;
  disabled: string[];
  enabled: string[];
  /** Why the sweep checked nobody: the store cannot look a user up by id. */
  unsupported?: string;
  /** False when the legacy database became unreachable part way; the rest was not checked. */
  complete: boolean;
}

export interface LegacySyncDeps {
  db: Knex;
  legacy: LegacySource;
  status: AccountStatus;
  logger: Logger;
  pageSize: number;
}

export function createLegacySync(deps: LegacySyncDeps) {
  const { db, legacy, status, logger, pageSize } = deps;

  async function page(after: string | undefined) {
    const q = db('accounts')
      .whereNotNull('legacy_id')
      .orderBy('sub')
      .limit(pageSize)
      .select<
        Array<{ sub: string; legacy_id: string; disabled_at: Date | null; disabled_by: string | null }>
      >('sub', 'legacy_id', 'disabled_at', 'disabled_by');
    if (after !== undefined) q.where('sub', '>', after);
    return q;
  }

  return {
    /**
     * One pass over every migrated account. `dryRun` reports what it would change; `keep` is
     * asked before each page, and a false ends the pass there (a lease lost to another replica).
     */
    async run(opts: { dryRun?: boolean; keep?: () => Promise<boolean> } = {}): Promise<SyncReport> {
      const report: SyncReport = { checked: 0, disabled: [], enabled: [], complete: true };
      if (legacy.findsById === false) {
        const unsupported = `The ${legacy.kind} legacy source cannot look a user up by id (${legacy.label}), so the sweep cannot tell a deactivated user from one it cannot see, and checks nobody. Fix: with legacy.http.style user-migration, set legacy.http.id_field: username, so the sweep finds each user by the name its GET takes; or disable users at the bridge with accounts disable.`;
        logger.warn({ kind: legacy.kind }, 'legacy sync skipped: the source cannot look users up by id');
        return { ...report, complete: false, unsupported };
      }
      let after: string | undefined;
      for (;;) {
        if (opts.keep && !(await opts.keep())) {
          logger.warn(
            { checked: report.checked },
            'legacy sync stopped: another replica holds the sweep lease',
          );
          return { ...report, complete: false };
        }
        const accounts = await page(after);
        if (accounts.length === 0) break;
        for (const account of accounts) {
          let admitted: boolean;
          try {
            admitted = (await legacy.findById(account.legacy_id)) !== undefined;
          } catch (err) {
            if (!(err instanceof LegacyUnavailableError)) throw err;
            logger.warn({ checked: report.checked }, 'legacy sync stopped: legacy database unreachable');
            return { ...report, complete: false };
          }
          report.checked++;
          if (!admitted && account.disabled_at === null) {
            report.disabled.push(account.sub);
            if (!opts.dryRun) {
              await status.disable(account.sub, {
                actor: LEGACY_SYNC_ACTOR,
                reason: 'legacy row gone or filtered out by legacy.where',
              });
            }
          } else if (admitted && account.disabled_at !== null && account.disabled_by === LEGACY_SYNC_ACTOR) {
            report.enabled.push(account.sub);
            if (!opts.dryRun) {
              await status.enable(account.sub, { actor: LEGACY_SYNC_ACTOR, reason: 'legacy row back' });
            }
          }
        }
        after = accounts[accounts.length - 1]!.sub;
        if (accounts.length < pageSize) break;
      }
      logger.info(
        { checked: report.checked, disabled: report.disabled.length, enabled: report.enabled.length },
        'legacy sync done',
      );
      return report;
    },
  };
}

export type LegacySync = ReturnType<typeof createLegacySync>;

export interface SweepOptions {
  /** The store the replicas share: each round, only the replica holding the sweep lease sweeps. */
  db: Knex;
  /** Who this sweeper is in the lease; default a fresh UUID. */
  holder?: string | undefined;
  /** Told of every round: swept (with its report) or left to the replica holding the lease. */
  onRound?: ((round: { swept: boolean; report?: SyncReport }) => void) | undefined;
}

/**
 * Runs the sweep every `intervalSeconds` until stopped (none when 0). One pass at a time in
 * this process, and one across replicas: a round starts by taking the sweep lease for one
 * interval (or extending it, for the replica that swept last), and each page extends it, so
 * a long pass keeps it and the other replicas skip their rounds meanwhile. The replica that
 * sweeps keeps sweeping; when it stops (release) or dies (the lease runs out), another takes
 * over at its next round. A failed pass is logged and the next one tries again.
 */
export function startLegacySweep(
  sync: LegacySync,
  intervalSeconds: number,
  logger: Logger,
  opts: SweepOptions,
) {
  if (intervalSeconds <= 0) return { stop: async () => {} };
  const holder = opts.holder ?? randomUUID();
  const leaseMs = intervalSeconds * 1000;
  const keep = () => takeLease(opts.db, SWEEP_LEASE, holder, leaseMs);
  async function round(): Promise<void> {
    if (!(await keep())) {
      logger.debug('legacy sync: another replica sweeps this round');
      opts.onRound?.({ swept: false });
      return;
    }
    const report = await sync.run({ keep });
    opts.onRound?.({ swept: true, report });
  }
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() =>
      round().catch((err: Error) => logger.error({ err: { message: err.message } }, 'legacy sync failed')),
    );
  }, leaseMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
      await releaseLease(opts.db, SWEEP_LEASE, holder).catch((err: Error) =>
        logger.warn({ err: { message: err.message } }, 'legacy sync: could not release the sweep lease'),
      );
    },
  };
}

/**
 * The sweep as the worker runs it, from the configuration: nothing after cut-over (no legacy
 * source) or with sweep_interval_seconds 0.
 */
export function startConfiguredSweep(deps: {
  config: Config;
  db: Knex;
  audit: Audit;
  logger: Logger;
  legacy: LegacySource | undefined;
  /** The Redis store, when configured: disabled accounts' sessions and tokens end there too. */
  shortLived?: ShortLivedStore | undefined;
}) {
  const { config, db, audit, logger, legacy, shortLived } = deps;
  if (!config.legacy || !legacy) return { stop: async () => {} };
  const sync = createLegacySync({
    db,
    legacy,
    status: createAccountStatus({ db, audit, sessions: createSessions(db, createPayloads(db, shortLived)) }),
    logger: logger.child({ component: 'legacy-sync' }),
    pageSize: config.legacy.coexistence.sweep_page,
  });
  return startLegacySweep(sync, config.legacy.coexistence.sweep_interval_seconds, logger, { db });
}
