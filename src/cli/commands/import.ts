// `oidc-bridge import`: the one-time bulk import (Option 1) on the command line. Prints the
// plan (dry run) or the result, shows progress on stderr (a bar on a terminal, JSON lines
// otherwise), writes the rejects to a CSV without any hash, and maps an interrupted run
// to exit 2 (--resume or --restart) and a target that stays down to exit 1.
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { UsageError } from '../../errors.ts';
import { createLegacySource } from '../../legacy/source.ts';
import { silentLogger } from '../../logger.ts';
import {
  DEFAULT_BATCH,
  DEFAULT_CONCURRENCY,
  type ImportProgress,
  ImportStoppedError,
  type ImportSummary,
  runImport,
} from '../../migration/import.ts';
import { csvField } from '../../migration/import-plan.ts';
import { createServices } from '../../services.ts';
import { createStore, storeOptions } from '../../store/db.ts';

const IMPORT_LOCK = 7_147_002;

import { configFrom } from '../context.ts';
import { type Command, type Io, positiveInt } from '../framework.ts';

const MAX_BATCH = 1000;

const usage = `Usage: oidc-bridge import [--dry-run] [--batch N] [--concurrency N] [--resume | --restart]
                          [--without-password] [--json] [--rejects FILE]

  Imports the legacy users into the target platform in one run (Option 1 of the import guide).
  md5, sha1 and sha256 hashes (unsalted or salt-first) are sent as they are; users with
  any other hash are left to migrate at their first login. Every imported user gets a
  bridge account, so a later login re-hashes the password but never delivers them again.
  An LDAP directory is paged through (RFC 2696 paged results); users whose hash it does not
  give the service account are checked by the directory at their first login, so they need
  a login (or --without-password). The HTTP kind lists no users: its users migrate at login.

  --dry-run            send nothing, write nothing to the store: print the plan
  --batch N            users a target request (an array), default ${DEFAULT_BATCH}, at most ${MAX_BATCH}
  --concurrency N      target requests in flight, default ${DEFAULT_CONCURRENCY}
  --resume             continue an interrupted import after its checkpoint
  --restart            forget an interrupted import's checkpoint and start over
  --without-password   also import users whose hash the target cannot take, with an
                       unusable password (they use "Forgot Password" on the target)
  --json               print the summary as JSON on stdout
  --rejects FILE       rejected rows (legacy_id, field, reason), default ./import-rejects.csv;
                       a dry run writes it only when given (--rejects-csv is the older name)

  Exit codes: 0 done, 1 the target stayed unavailable (resume later with --resume),
  2 bad input or configuration, or an interrupted import needs --resume or --restart.`;

function formatEta(seconds: number | null): string {
  if (seconds === null) return '--';
  if (seconds < 60) return `${seconds}s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m}m${String(seconds % 60).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${m % 60}m`;
}

/** A bar redrawn in place on a terminal; one JSON line a tick when stderr is a pipe or a file. */
function progressReporter(io: Io): { report(p: ImportProgress): void; end(): void } {
  const tty = io.isTTY && process.stderr.isTTY === true;
  let drawn = false;
  return {
    report(p) {
      if (!tty) {
        io.err(
          JSON.stringify({ event: 'progress', rows: p.rows, total: p.total, rate: p.rate, eta_s: p.eta_s }),
        );
        return;
      }
      const share = p.total > 0 ? Math.min(1, p.rows / p.total) : 0;
      const width = 30;
      const filled = Math.round(share * width);
      process.stderr.write(
        `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor(share * 100)
          .toString()
          .padStart(3)}%  ${p.rows}/${p.total} rows  ${p.rate} rows/s  ETA ${formatEta(p.eta_s)}  `,
      );
      drawn = true;
    },
    end() {
      if (drawn) process.stderr.write('\n');
    },
  };
}

function printSummary(
  io: Io,
  s: ImportSummary,
  table: string,
  csv: string | undefined,
  mask: (form: string) => string,
  /** The scheme of users the legacy store checks itself (ldap-bind), when it does. */
  verifyScheme?: string,
): void {
  const c = s.counts;
  const head = s.dry_run ? 'Import plan (dry run: nothing sent, nothing written)' : 'Import finished';
  io.out(`${head}: ${c.rows} rows of ${table}${s.resumed ? ' (resumed)' : ''}`);
  io.out(`  importable as they are:  ${c.importable}`);
  io.out(
    `  need a login:            ${c.needs_login}${c.without_password ? ` (${c.without_password} ${s.dry_run ? 'would be ' : ''}sent without a password)` : ''}`,
  );
  io.out(
    `  rejected:                ${c.rejected}${c.rejected ? (csv ? ` (see ${csv})` : ' (listed above; --rejects FILE writes them to a file)') : ''}`,
  );
  io.out(`  already in the bridge:   ${c.already_in_bridge}`);
  if (s.dry_run && c.email_duplicates) {
    io.out(
      `  e-mail duplicates:       ${c.email_duplicates} (the same address as an earlier user but for case: the target will refuse them as conflicts)`,
    );
    for (const d of s.email_duplicates)
      io.out(`    legacy id ${d.legacy_id}: same e-mail as legacy id ${d.same_as}`);
  }
  if (!s.dry_run) {
    io.out(`  delivered:               ${c.delivered} (${c.already_existed} the target already held)`);
    io.out(`  e-mail conflicts:        ${c.conflicts}`);
    io.out(
      `  refused by the target:   ${c.target_rejected}${c.target_rejected ? ' (oidc-bridge migration list --status failed)' : ''}`,
    );
    if (s.rate_limited.times) {
      io.out(
        `  rate limited:            ${s.rate_limited.times} times, ${Math.round(s.rate_limited.waited_ms / 1000)} s waited`,
      );
    }
  }
  const schemes = Object.entries(c.by_scheme).sort(([a], [b]) => a.localeCompare(b));
  if (schemes.length) {
    io.out('\nby legacy hash scheme        importable  needs login  rejected');
    for (const [scheme, n] of schemes) {
      io.out(
        `  ${scheme.padEnd(26)}${String(n.importable).padStart(10)}${String(n.needs_login).padStart(13)}${String(n.rejected).padStart(10)}`,
      );
    }
  }
  const checkedAtLogin = verifyScheme ? c.by_scheme[verifyScheme]?.needs_login : undefined;
  if (checkedAtLogin) {
    io.out(
      `\n${checkedAtLogin} users have no password hash the bridge can read (${verifyScheme}): the legacy store checks their password at their first login, which migrates them. ${c.without_password ? 'They were sent with an unusable password until that login or a reset.' : '--without-password imports them now, with an unusable password until that login or a reset.'}`,
    );
  }
  if (s.sample) {
    io.out('\nsample payload (password shown by shape only):');
    io.out(JSON.stringify({ ...s.sample, password: mask(s.sample.password) }, null, 2));
  }
  io.out(
    `\n${s.seconds.toFixed(1)} s, ${s.rows_per_sec} rows/s${s.single_requests ? ' (one user a request: the target refused arrays)' : ''}`,
  );
}

export const importCommand: Command = {
  name: 'import',
  summary: 'one-time bulk import of the legacy users into the target (--dry-run prints the plan)',
  usage,
  options: {
    'dry-run': { type: 'boolean' },
    batch: { type: 'string' },
    concurrency: { type: 'string' },
    resume: { type: 'boolean' },
    restart: { type: 'boolean' },
    'without-password': { type: 'boolean' },
    json: { type: 'boolean' },
    'rejects-csv': { type: 'string' },
    rejects: { type: 'string' },
  },
  async run({ values }, io) {
    const batch = positiveInt(values, 'batch', usage, DEFAULT_BATCH);
    if (batch > MAX_BATCH) throw new UsageError(`--batch must be at most ${MAX_BATCH}, got ${batch}.`, usage);
    const concurrency = positiveInt(values, 'concurrency', usage, DEFAULT_CONCURRENCY);
    if (values.resume && values.restart) throw new UsageError('Give --resume or --restart, not both.', usage);
    const dryRun = values['dry-run'] === true;
    const config = configFrom(values, io);
    if (!config.legacy) {
      throw new UsageError('No legacy database is configured: add a legacy: section to the config file.');
    }
    if (config.legacy.kind !== 'sql') {
      // Said before anything is opened or written: these stores list no users, or no passwords.
      await createLegacySource(config.legacy, { logger: silentLogger }).page(undefined, 1);
    }
    const givenCsv = (values.rejects ?? values['rejects-csv']) as string | undefined;
    // A dry run writes nothing, not even the rejects, unless a file is named.
    const csvPath = givenCsv ?? (dryRun ? undefined : './import-rejects.csv');
    const store = createStore(storeOptions(config));
    const legacy = createLegacySource(config.legacy, { logger: silentLogger });
    const { target, box } = createServices(config, { store, logger: silentLogger });
    const mask = (form: string) => target.bulk?.maskPassword(form) ?? '<hidden>';
    const progress = progressReporter(io);
    let csv: WriteStream | undefined;
    const openCsv = () => {
      if (csv || csvPath === undefined) return csv;
      const append = values.resume === true && existsSync(csvPath);
      csv = createWriteStream(csvPath, { flags: append ? 'a' : 'w' });
      if (!append) csv.write('legacy_id,field,reason\n');
      return csv;
    };
    let lock: { release(): Promise<void> } | undefined;
    try {
      // A dry run reads existing accounts when the store has them, but never migrates it.
      if (!dryRun) {
        await store.migrate();
        // Two imports at once would post the same users twice and fight over the checkpoint.
        lock = await store.tryLock(IMPORT_LOCK);
        if (!lock) {
          io.err(
            'Error: another import is running against this store. Fix: wait for it to finish, or stop it and run this command with --resume.',
          );
          return 2;
        }
      }
      let summary: ImportSummary;
      try {
        summary = await runImport(
          {
            config,
            db: store.db,
            legacy,
            target,
            box,
            onProgress: (p) => progress.report(p),
            onReject: ({ legacyId, problems }) => {
              const out = openCsv();
              for (const p of problems)
                out?.write(`${csvField(legacyId)},${csvField(p.field)},${csvField(p.reason)}\n`);
              if (dryRun && !values.json) {
                io.out(
                  `reject: legacy id ${legacyId}: ${problems.map((p) => `${p.field} ${p.reason}`).join('; ')}`,
                );
              }
            },
          },
          {
            dryRun,
            batch,
            concurrency,
            resume: values.resume === true,
            restart: values.restart === true,
            withoutPassword: values['without-password'] === true,
          },
        );
      } catch (err) {
        progress.end();
        if (err instanceof ImportStoppedError) {
          io.err(`Error: the import stopped: ${err.message}`);
          io.err(
            'Every batch before it is recorded. Run the same command with --resume once the target is back.',
          );
          return 1;
        }
        throw err;
      }
      progress.end();
      if (values.json) {
        io.out(
          JSON.stringify({
            ...summary,
            sample: summary.sample && {
              ...summary.sample,
              password: mask(summary.sample.password),
            },
            rejects_csv: csv ? csvPath : null,
          }),
        );
      } else {
        printSummary(
          io,
          summary,
          legacy.label,
          csvPath,
          mask,
          legacy.verify ? legacy.verifyScheme : undefined,
        );
      }
      return 0;
    } finally {
      if (csv) {
        const stream: WriteStream = csv;
        await new Promise<void>((resolve) => stream.end(resolve));
      }
      await lock?.release();
      await legacy.close().catch(() => {});
      await store.close();
    }
  },
};
