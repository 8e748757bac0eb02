// The transactional outbox: a delivery job is written in the same transaction as the
// account it delivers, so one never exists without the other. The job holds a snapshot of
// the legacy row (password columns removed) and, apart, the target password form, which is
// erased once the job is delivered or dead.
import type { Knex } from 'knex';

export interface DeliveryPayload {
  legacy_id: string | null;
  /** The legacy row at migration time, without the password and salt columns. */
  row: Record<string, unknown>;
  claims: Record<string, unknown>;
  /** Set by the bulk import: the target form was passed through, no re-hash. */
  imported?: boolean;
  /**
   * Deliver without a password (an unusable one, with attributes.password_reset_required):
   * for users whose legacy hash the target cannot take. `secret` is then NULL on purpose.
   */
  without_password?: boolean;
}

/**
 * Job statuses. `pending` includes jobs waiting for a retry after a transient failure;
 * `failed` waits for an operator (`migration retry`) and is never claimed on its own.
 */
export const OUTBOX_STATUSES = ['pending', 'delivered', 'failed', 'conflict', 'dead', 'skipped'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

export const OUTBOX_CHANNEL = 'oidc_bridge_outbox';

/** JSON-safe copy of a legacy row: Dates to ISO strings, Buffers to hex, bigints to strings. */
export function snapshotRow(row: Record<string, unknown>, omit: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (omit.includes(k)) continue;
    if (v instanceof Date) out[k] = Number.isNaN(v.getTime()) ? null : v.toISOString();
    else if (Buffer.isBuffer(v)) out[k] = v.toString('hex');
    else if (typeof v === 'bigint') out[k] = v.toString();
    else out[k] = v;
  }
  return out;
}

export async function enqueueDelivery(
  trx: Knex,
  job: { sub: string; payload: DeliveryPayload; secret: string | null; status?: string },
): Promise<void> {
  await trx('outbox')
    .insert({
      sub: job.sub,
      kind: 'deliver',
      payload: JSON.stringify(job.payload),
      secret: job.secret,
      status: job.status ?? 'pending',
    })
    .onConflict(['sub', 'kind'])
    .ignore();
  await notifyOutbox(trx, job.sub);
}

/** Wakes the delivery workers listening on PostgreSQL; the embedded store's workers poll. */
export async function notifyOutbox(db: Knex, sub: string): Promise<void> {
  if (db.client.config.client === 'pg') await db.raw('SELECT pg_notify(?, ?)', [OUTBOX_CHANNEL, sub]);
}
