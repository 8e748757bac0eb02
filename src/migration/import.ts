// The one-time bulk import (Option 1 of the import guide): streams the legacy table in id order,
// sends the users the target can take as they are, leaves the rest to lazy migration, and
// gives every imported user a bridge account whose outbox row is already delivered, so a
// later login only re-hashes the password and never delivers the user again. Each request
// carries an Idempotency-Key made from the run and the users it holds, so the batch a crash
// left unanswered goes again under the key it had.
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Config } from '../config/schema.ts';
import { BridgeError } from '../errors.ts';
import type { LegacyRow, LegacySource } from '../legacy/types.ts';
import type { SecretBox } from '../security/secret-box.ts';
import type { BulkKeys, BulkOutcome, BulkUser, Problem, TargetFormat } from '../target/types.ts';
import { type PlannedRow, planRow } from './import-plan.ts';
import { type Checkpoint, createImportStore, type ImportedAccount } from './import-store.ts';
import { legacyAccountFields } from './login.ts';
import { sealRow } from './outbox.ts';

export { ImportStoppedError } from '../errors.ts';

export interface ImportOptions {
  /** Sort and count every row, send nothing and write nothing to the store. */
  dryRun?: boolean;
  /** Rows a legacy page and a target request. Default 500. */
  batch?: number;
  /** Target requests in flight. Default 4. */
  concurrency?: number;
  /** Continue after the checkpoint of an interrupted run. */
  resume?: boolean;
  /** Forget an interrupted run's checkpoint and start from the first row. */
  restart?: boolean;
  /** Import users whose hash the target cannot take, with an unusable password. */
  withoutPassword?: boolean;
  /** How often onProgress is called. Default 1000 ms. */
  progressIntervalMs?: number;
}

export interface SchemeCounts {
  importable: number;
  needs_login: number;
  rejected: number;
}

/** Cumulative over an interrupted run and its --resume, as the checkpoint keeps them. */
export interface ImportCounts {
  rows: number;
  importable: number;
  needs_login: number;
  rejected: number;
  /** Rows whose user already had a bridge account (migrated at login, or imported before). */
  already_in_bridge: number;
  /** Users the target created or already held (already_exists): outbox row delivered. */
  delivered: number;
  /** Of delivered: the target answered already_exists. */
  already_existed: number;
  /** Another target user holds the e-mail: outbox row conflict. */
  conflicts: number;
  /** The target refused the user after all: outbox row failed, for `migration retry`. */
  target_rejected: number;
  /** Needs-login users sent without a usable password (--without-password); planned, in a dry run. */
  without_password: number;
  /** Users whose e-mail another user sent before holds, equal but for case (counted by the dry run). */
  email_duplicates: number;
  by_scheme: Record<string, SchemeCounts>;
}

export interface ImportProgress {
  rows: number;
  total: number;
  rate: number;
  eta_s: number | null;
}

export interface ImportSummary {
  dry_run: boolean;
  resumed: boolean;
  counts: ImportCounts;
  last_id: string | null;
  seconds: number;
  rows_per_sec: number;
  /** Times the target asked us to wait (429), and how long in total. */
  rate_limited: { times: number; waited_ms: number };
  /** One payload the target would receive, its password shown by shape only. */
  sample: BulkUser | undefined;
  /** Sent one user a request, because the target refused arrays. */
  single_requests: boolean;
  /** The dry run's first e-mail duplicates: this legacy id's address equals same_as's but for case. */
  email_duplicates: Array<{ legacy_id: string; same_as: string }>;
}

export interface ImportDeps {
  config: Config;
  /** The bridge store; in a dry run it is only read (existing accounts), never written. */
  db: Knex;
  legacy: LegacySource;
  target: TargetFormat;
  box: SecretBox;
  onProgress?: (p: ImportProgress) => void;
  onReject?: (r: { legacyId: string; problems: Problem[] }) => void;
  /** For tests: the poster's back-off sleeps. */
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_BATCH = 500;
const MAX_LISTED_DUPLICATES = 20;
export const DEFAULT_CONCURRENCY = 4;

export function emptyCounts(): ImportCounts {
  return {
    rows: 0,
    importable: 0,
    needs_login: 0,
    rejected: 0,
    already_in_bridge: 0,
    delivered: 0,
    already_existed: 0,
    conflicts: 0,
    target_rejected: 0,
    without_password: 0,
    email_duplicates: 0,
    by_scheme: {},
  };
}

/** An interrupted run holds the checkpoint: refused unless --resume or --restart says what to do. */
export class ImportInterruptedError extends BridgeError {
  constructor(checkpoint: Checkpoint<ImportCounts>) {
    super(
      'import_interrupted',
      `An import was interrupted after legacy id ${checkpoint.last_id ?? '(none)'} (${checkpoint.counts.rows ?? 0} rows done). Pass --resume to continue it, or --restart to start over (users already imported are skipped either way).`,
      409,
    );
  }
}

function schemeCounts(by: ImportCounts['by_scheme'], scheme: string): SchemeCounts {
  by[scheme] ??= { importable: 0, needs_login: 0, rejected: 0 };
  return by[scheme];
}

function addCounts(into: ImportCounts, delta: ImportCounts): void {
  for (const key of Object.keys(delta) as Array<keyof ImportCounts>) {
    if (key === 'by_scheme') continue;
    into[key] += delta[key];
  }
  for (const [scheme, c] of Object.entries(delta.by_scheme)) {
    const t = schemeCounts(into.by_scheme, scheme);
    t.importable += c.importable;
    t.needs_login += c.needs_login;
    t.rejected += c.rejected;
  }
}

/**
 * A UUID-shaped Idempotency-Key from the run's id and what one request holds: a batch sent
 * again by --resume (same run, same users) carries the key it had before the crash.
 */
export function importKey(runId: string, kind: 'batch' | 'user', legacyIds: string[]): string {
  const h = createHash('sha256')
    .update(`${runId}\n${kind}\n${legacyIds.join('\n')}`)
    .digest('hex');
  const variant = ((Number.parseInt(h[16]!, 16) & 3) | 8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function batchKeys(runId: string, legacyIds: string[]): BulkKeys {
  return {
    batch: importKey(runId, 'batch', legacyIds),
    users: legacyIds.map((id) => importKey(runId, 'user', [id])),
  };
}

async function hasAccountsTable(db: Knex): Promise<boolean> {
  try {
    return await db.schema.hasTable('accounts');
  } catch {
    return false;
  }
}

interface Batch {
  lastId: string;
  delta: ImportCounts;
  /** Rows to send, in order, with what their account will hold. */
  send: Array<{
    row: LegacyRow;
    plan: Extract<PlannedRow, { user: BulkUser | undefined }>;
    user: BulkUser;
  }>;
}

export async function runImport(deps: ImportDeps, options: ImportOptions = {}): Promise<ImportSummary> {
  const { config, db, legacy, target, box } = deps;
  const legacyCfg = config.legacy;
  if (!legacyCfg) {
    throw new BridgeError(
      'legacy_missing',
      'No legacy database is configured (legacy: in the config file).',
      400,
    );
  }
  const dryRun = options.dryRun === true;
  if (!dryRun && !target.delivers) {
    throw new BridgeError(
      'target_none',
      'target.type is none: there is nowhere to import to. Set target.type (e.g. commerce-import, with target.url), or use --dry-run.',
      400,
    );
  }
  const bulk = target.bulk;
  if (target.delivers && !bulk) {
    throw new BridgeError(
      'target_no_bulk',
      `target.type ${target.type} has no bulk import: its users migrate at their first login. Run the bridge (start) instead.`,
      400,
    );
  }
  const batchSize = options.batch ?? DEFAULT_BATCH;
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const store = createImportStore(db);
  const planOf = (row: LegacyRow): PlannedRow | undefined =>
    bulk
      ? planRow(row, {
          scheme: legacyCfg.password.scheme,
          bulk,
          withoutPassword: options.withoutPassword === true,
          verifiedBySource: legacy.verify ? legacy.verifyScheme : undefined,
        })
      : undefined;

  const counts = emptyCounts();
  let afterId: string | undefined;
  let resumed = false;
  let runId: string | undefined;
  const canReadAccounts = dryRun ? await hasAccountsTable(db) : true;

  if (!dryRun) {
    const checkpoint = await store.readCheckpoint<ImportCounts>();
    if (checkpoint?.status === 'running' && !options.resume && !options.restart) {
      throw new ImportInterruptedError(checkpoint);
    }
    if (checkpoint?.status === 'running' && options.resume && !options.restart) {
      resumed = true;
      afterId = checkpoint.last_id ?? undefined;
      addCounts(counts, { ...emptyCounts(), ...checkpoint.counts });
    } else {
      await store.startCheckpoint(counts);
    }
    runId = (await store.readCheckpoint<ImportCounts>())?.run_id;
  }

  const total = await legacy.count();
  const started = Date.now();
  const rowsAtStart = counts.rows;
  let rowsSeen = counts.rows;
  const rateLimited = { times: 0, waited_ms: 0 };
  const poster = bulk
    ? bulk.createPoster({
        ...(deps.sleep ? { sleep: deps.sleep } : {}),
        onRateLimited: (ms) => {
          rateLimited.times += 1;
          rateLimited.waited_ms += ms;
        },
      })
    : undefined;
  let sample: BulkUser | undefined;

  const progress = (): ImportProgress => {
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? (rowsSeen - rowsAtStart) / seconds : 0;
    const left = Math.max(0, total - rowsSeen);
    return {
      rows: rowsSeen,
      total,
      rate: Math.round(rate),
      eta_s: rate > 0 ? Math.round(left / rate) : null,
    };
  };
  const timer = deps.onProgress
    ? setInterval(() => deps.onProgress?.(progress()), options.progressIntervalMs ?? 1000)
    : undefined;
  timer?.unref();

  // The target holds one user an e-mail, whatever its case: the plan warns of what the real
  // run would report as conflicts. Only addresses that will be sent are compared.
  const emails = new Map<string, string>();
  const emailDuplicates: ImportSummary['email_duplicates'] = [];
  function noteEmail(legacyId: string, user: BulkUser, delta: ImportCounts): void {
    if (typeof user.email !== 'string' || user.email === '') return;
    const key = user.email.normalize('NFC').toLowerCase();
    const first = emails.get(key);
    if (first === undefined) {
      emails.set(key, legacyId);
      return;
    }
    delta.email_duplicates += 1;
    if (emailDuplicates.length < MAX_LISTED_DUPLICATES)
      emailDuplicates.push({ legacy_id: legacyId, same_as: first });
  }

  function planBatch(rows: LegacyRow[], existing: Set<string>): Batch {
    const delta = emptyCounts();
    const send: Batch['send'] = [];
    for (const row of rows) {
      delta.rows += 1;
      if (existing.has(row.id)) {
        delta.already_in_bridge += 1;
        continue;
      }
      const plan = planOf(row);
      if (!plan) continue;
      const s = schemeCounts(delta.by_scheme, plan.scheme);
      s[plan.group] += 1;
      delta[plan.group] += 1;
      if (plan.group === 'rejected') {
        deps.onReject?.({ legacyId: row.id, problems: plan.problems });
        continue;
      }
      if (plan.group === 'importable') sample ??= plan.user;
      if (plan.user) {
        send.push({ row, plan, user: plan.user });
        // The real run counts these as it sends them; the plan says what it would send.
        if (dryRun && plan.group === 'needs_login') delta.without_password += 1;
        if (dryRun) noteEmail(row.id, plan.user, delta);
      }
    }
    return { lastId: rows.at(-1)!.id, delta, send };
  }

  function accountOf(item: Batch['send'][number], outcome: BulkOutcome): ImportedAccount {
    const { row, plan, user } = item;
    // As a login would make it: a directory's entry gives its login names, not the columns.
    const { sub, claims, identifiers } = legacyAccountFields(row, legacyCfg, legacy);
    const withoutPassword = plan.group === 'needs_login';
    const failed = outcome.status === 'rejected';
    return {
      sub,
      legacyId: row.id,
      claims,
      legacyScheme: plan.scheme,
      identifiers,
      payload: {
        legacy_id: row.id,
        imported: true,
        ...(withoutPassword ? { without_password: true } : {}),
      },
      status:
        outcome.status === 'created' || outcome.status === 'already_exists'
          ? 'delivered'
          : outcome.status === 'email_conflict'
            ? 'conflict'
            : 'failed',
      // Only a failed job is ever sent again (`migration retry`), so only it keeps a copy.
      secret: failed && !withoutPassword ? box.seal(user.password) : null,
      rowData: failed ? sealRow(row.row, { target, box }) : null,
      reason: outcome.status,
      lastError: 'detail' in outcome ? outcome.detail : null,
    };
  }

  async function deliver(batch: Batch): Promise<BulkOutcome[]> {
    if (batch.send.length === 0) return [];
    const keys = batchKeys(
      runId!,
      batch.send.map((s) => s.row.id),
    );
    return poster!.post(
      batch.send.map((s) => s.user),
      keys,
    );
  }

  async function commit(batch: Batch, outcomes: BulkOutcome[]): Promise<void> {
    const accounts = batch.send.map((item, i) => accountOf(item, outcomes[i]!));
    for (const [i, o] of outcomes.entries()) {
      if (o.status === 'created' || o.status === 'already_exists') batch.delta.delivered += 1;
      if (o.status === 'already_exists') batch.delta.already_existed += 1;
      if (o.status === 'email_conflict') batch.delta.conflicts += 1;
      if (o.status === 'rejected') batch.delta.target_rejected += 1;
      if (batch.send[i]!.plan.group === 'needs_login') batch.delta.without_password += 1;
    }
    const next = emptyCounts();
    addCounts(next, counts);
    addCounts(next, batch.delta);
    await db.transaction(async (trx) => {
      await store.recordBatch(trx, accounts);
      await store.setCheckpoint({ lastId: batch.lastId, counts: next, status: 'running' }, trx);
    });
    addCounts(counts, batch.delta);
    rowsSeen = counts.rows;
  }

  // Batches are posted concurrently but committed strictly in order, so the checkpoint
  // never passes a batch whose accounts are not written yet.
  const window: Array<Promise<void>> = [];
  let chain: Promise<void> = Promise.resolve();
  let stopping = false;
  try {
    while (!stopping) {
      const rows = await legacy.page(afterId, batchSize);
      if (rows.length === 0) break;
      afterId = rows.at(-1)!.id;
      const existing = canReadAccounts
        ? await store.existingLegacyIds(rows.map((r) => r.id))
        : new Set<string>();
      const batch = planBatch(rows, existing);
      if (dryRun) {
        addCounts(counts, batch.delta);
        rowsSeen = counts.rows;
        continue;
      }
      const delivered = deliver(batch);
      // Observed at once, so a failure is not unhandled while earlier batches commit.
      delivered.catch(() => {});
      chain = chain.then(async () => commit(batch, await delivered));
      chain.catch(() => {
        stopping = true;
      });
      window.push(chain);
      if (window.length >= concurrency) await window.shift();
    }
    await chain;
  } catch (err) {
    // Let requests in flight end before the store closes; their users are resent on resume.
    await Promise.allSettled(window);
    throw err;
  } finally {
    if (timer) clearInterval(timer);
  }

  if (!dryRun) await store.setCheckpoint({ counts, status: 'done' });
  deps.onProgress?.(progress());
  const seconds = (Date.now() - started) / 1000;
  return {
    dry_run: dryRun,
    resumed,
    counts,
    last_id: afterId ?? null,
    seconds,
    rows_per_sec: seconds > 0 ? Math.round((counts.rows - rowsAtStart) / seconds) : 0,
    rate_limited: rateLimited,
    sample,
    single_requests: poster?.single ?? false,
    email_duplicates: emailDuplicates,
  };
}
