// The transactional outbox: a delivery job is written in the same transaction as the account
// it delivers, so one never exists without the other. The job keeps, sealed with the key
// encryption key, the password form the target takes and a copy of only the legacy columns
// the target maps; both are erased once the job ends (delivered, conflict, skipped, given
// up). A job that dies after its last attempt loses its password form but keeps the row copy
// until it is re-queued and ends, or given up, so `migration retry --dead` can deliver it.
import type { Knex } from 'knex';
import type { SecretBox } from '../security/secret-box.ts';
import type { TargetFormat } from '../target/types.ts';
import { snapshotColumns } from '../target/values.ts';

export interface DeliveryPayload {
  legacy_id: string | null;
  /** Jobs written before delivery read the account's claims kept a copy here. */
  claims?: Record<string, unknown>;
  /** Set by the bulk import: the target form was passed through, no re-hash. */
  imported?: boolean;
  /**
   * Deliver without a password (an unusable one, with attributes.password_reset_required):
   * for users whose legacy hash the target cannot take. `secret` is then NULL on purpose.
   */
  without_password?: boolean;
  /** Jobs written before `row_data` existed carried the row here, in clear; erased when they end. */
  row?: Record<string, unknown>;
}

/**
 * Job statuses. `pending` includes jobs waiting for a retry after a transient failure;
 * `failed` waits for an operator (`migration retry`) and is never claimed on its own.
 */
export const OUTBOX_STATUSES = ['pending', 'delivered', 'failed', 'conflict', 'dead', 'skipped'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

export const OUTBOX_CHANNEL = 'oidc_bridge_outbox';

/** What a delivery keeps of a verified legacy row, sealed for the outbox. */
export interface SealedDelivery {
  /** The sealed password form, or null when the target takes none. */
  secret: string | null;
  /** The sealed JSON of the legacy columns the target maps. */
  rowData: string;
}

/** Only the columns the target maps are copied, and everything copied is sealed. */
export function sealRow(
  row: Record<string, unknown>,
  deps: { target: TargetFormat; box: SecretBox },
): string {
  return deps.box.seal(JSON.stringify(snapshotColumns(row, deps.target.columns)));
}

export async function sealDelivery(
  row: Record<string, unknown>,
  password: string,
  deps: { target: TargetFormat; box: SecretBox },
): Promise<SealedDelivery> {
  const form = deps.target.delivers ? await deps.target.passwordForm(password) : null;
  return { secret: form === null ? null : deps.box.seal(form), rowData: sealRow(row, deps) };
}

/** The copy of the legacy row a claimed job carries, opened; {} once erased. */
export function openRow(
  rowData: string | null,
  payload: DeliveryPayload,
  box: SecretBox,
): Record<string, unknown> {
  if (rowData !== null) return JSON.parse(box.open(rowData)) as Record<string, unknown>;
  return payload.row ?? {};
}

export interface DeliveryJob {
  sub: string;
  payload: DeliveryPayload;
  secret: string | null;
  rowData: string | null;
  status?: string;
}

/** The delivery job's INSERT, not sent (one user has one delivery job). */
export function deliveryInsert(trx: Knex, job: DeliveryJob): Knex.QueryBuilder {
  return trx('outbox')
    .insert({
      sub: job.sub,
      kind: 'deliver',
      payload: JSON.stringify(job.payload),
      secret: job.secret,
      row_data: job.rowData,
      status: job.status ?? 'pending',
    })
    .onConflict(['sub', 'kind'])
    .ignore()
    .returning('sub');
}

/** The channel to wake workers on from `db`, or undefined where they poll (the embedded store). */
export function outboxChannel(db: Knex): string | undefined {
  return db.client.config.client === 'pg' ? OUTBOX_CHANNEL : undefined;
}

export async function enqueueDelivery(trx: Knex, job: DeliveryJob): Promise<void> {
  const insert = deliveryInsert(trx, job);
  if (trx.client.config.client !== 'pg') {
    await insert;
    return;
  }
  // The workers are woken by the same statement, only when a job was written: one round trip.
  const { sql, bindings } = insert.toSQL();
  await trx.raw(`WITH j AS (${sql}) SELECT pg_notify(?, j.sub) FROM j`, [...bindings, OUTBOX_CHANNEL]);
}

/**
 * A password change after migration, for targets that take one: the user's one update job
 * is (re)written with the new form, due now. The worker claims it only once the user's
 * first delivery is done, so the change never overtakes the creation.
 */
export async function enqueuePasswordChange(
  db: Knex,
  job: { sub: string; payload: DeliveryPayload; secret: string | null },
): Promise<void> {
  await db('outbox')
    .insert({
      sub: job.sub,
      kind: 'update',
      payload: JSON.stringify(job.payload),
      secret: job.secret,
      status: 'pending',
    })
    .onConflict(['sub', 'kind'])
    .merge({
      payload: JSON.stringify(job.payload),
      secret: job.secret,
      status: 'pending',
      attempts: 0,
      next_attempt_at: db.fn.now(),
      last_error: null,
      // A worker holding the older form loses its lease: its outcome is not recorded.
      lease_token: null,
      // A newer password is a new request, not a replay of the older one.
      idempotency_key: db.raw('gen_random_uuid()'),
      locked_until: null,
      updated_at: db.fn.now(),
    });
  await notifyOutbox(db, job.sub);
}

/** Wakes the delivery workers listening on PostgreSQL; the embedded store's workers poll. */
export async function notifyOutbox(db: Knex, sub: string): Promise<void> {
  if (db.client.config.client === 'pg') await db.raw('SELECT pg_notify(?, ?)', [OUTBOX_CHANNEL, sub]);
}
