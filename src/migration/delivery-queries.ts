// Outbox queries for the delivery worker and the `migration` commands: claiming due jobs
// under a lease (FOR UPDATE SKIP LOCKED, so replicas share one store), recording an outcome
// only while the lease is still held, and the counts and lists operators read. The secret
// column is selected by the claim alone; nothing here returns it to a caller that prints.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { type DeliveryPayload, OUTBOX_CHANNEL, OUTBOX_STATUSES, type OutboxStatus } from './outbox.ts';

export interface ClaimedJob {
  id: number;
  sub: string;
  kind: 'deliver' | 'update';
  payload: DeliveryPayload;
  /** The sealed password form, or null once erased. */
  secret: string | null;
  /** The sealed copy of the mapped legacy columns, or null once erased. */
  rowData: string | null;
  /** The user's id at the target, from their first delivery. */
  targetRef: string | null;
  /** The account's claims: read from the account, not copied into the job. */
  claims: Record<string, unknown>;
  /** Attempts including this one. */
  attempts: number;
  leaseToken: string;
}

export interface Outcome {
  status: OutboxStatus;
  /** A short code: delivered, already_exists, email_conflict, rejected, invalid, retry, dead… */
  reason: string;
  lastError: string | null;
  /** Set for status pending: the delay before the job is due again. */
  retryInMs?: number | undefined;
  /** Erases the password form and the copy of the legacy row: the job has ended. */
  eraseSecret: boolean;
  /**
   * With eraseSecret, keeps the sealed copy of the legacy row: a dead job may be re-queued
   * (`migration retry --dead`), and the row is what it cannot get back. The password form
   * still goes; the user's next login gives the job a fresh one.
   */
  keepRowCopy?: boolean | undefined;
  /** The id the target gave the user, kept for later updates. */
  targetRef?: string | undefined;
  /** Gives back the attempt the claim counted (rate limiting, shutdown): not the job's fault. */
  refundAttempt?: boolean | undefined;
}

export interface JobListing {
  id: number;
  sub: string;
  legacy_id: string | null;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: Date;
  last_attempt_at: Date | null;
  last_reason: string | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

function isPg(db: Knex): boolean {
  return db.client.config.client === 'pg';
}

const seconds = (ms: number) => Math.max(0, ms) / 1000;

export function createDeliveryQueries(db: Knex) {
  return {
    /**
     * Takes up to `limit` due pending jobs for `leaseMs` and counts the attempt. One
     * statement, so the row locks last only as long as the UPDATE: delivery happens after.
     */
    async claim(limit: number, leaseMs: number): Promise<ClaimedJob[]> {
      const token = randomUUID();
      const result = await db.raw(
        `WITH due AS (
           SELECT id FROM outbox
            WHERE status = 'pending'
              AND next_attempt_at <= now()
              AND (locked_until IS NULL OR locked_until <= now())
              -- A password change waits until the user's first delivery is done.
              AND (kind = 'deliver' OR EXISTS (
                    SELECT 1 FROM outbox d
                     WHERE d.sub = outbox.sub AND d.kind = 'deliver' AND d.status = 'delivered'))
            ORDER BY next_attempt_at, id
            LIMIT ?
            FOR UPDATE SKIP LOCKED
         )
         UPDATE outbox AS o
            SET locked_until = now() + make_interval(secs => ?),
                lease_token = ?,
                attempts = o.attempts + 1,
                last_attempt_at = now(),
                updated_at = now()
           FROM due
          WHERE o.id = due.id
         RETURNING o.id, o.sub, o.kind, o.payload, o.secret, o.row_data, o.attempts,
                   (SELECT d.target_ref FROM outbox d
                     WHERE d.sub = o.sub AND d.kind = 'deliver') AS target_ref,
                   (SELECT a.claims FROM accounts a WHERE a.sub = o.sub) AS claims`,
        [limit, seconds(leaseMs), token],
      );
      const rows = (
        result as {
          rows: Array<{
            id: number | string;
            sub: string;
            kind: string;
            payload: unknown;
            secret: string | null;
            row_data: string | null;
            target_ref: string | null;
            claims: unknown;
            attempts: number | string;
          }>;
        }
      ).rows;
      return rows
        .map((r) => ({
          id: Number(r.id),
          sub: r.sub,
          kind: r.kind === 'update' ? ('update' as const) : ('deliver' as const),
          payload: (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as DeliveryPayload,
          secret: r.secret,
          rowData: r.row_data,
          targetRef: r.target_ref,
          claims: (typeof r.claims === 'string' ? JSON.parse(r.claims) : (r.claims ?? {})) as Record<
            string,
            unknown
          >,
          attempts: Number(r.attempts),
          leaseToken: token,
        }))
        .sort((a, b) => a.id - b.id);
    },

    /**
     * Records an outcome and releases the lease, in one UPDATE guarded by the lease token.
     * False when the lease was lost (it expired and another worker took the job over).
     */
    async finish(job: Pick<ClaimedJob, 'id' | 'leaseToken'>, o: Outcome): Promise<boolean> {
      const patch: Record<string, unknown> = {
        status: o.status,
        last_reason: o.reason,
        last_error: o.lastError,
        locked_until: null,
        lease_token: null,
        updated_at: db.fn.now(),
      };
      if (o.eraseSecret) {
        patch.secret = null;
        if (!o.keepRowCopy) {
          patch.row_data = null;
          // Jobs from before row_data kept the row in the payload.
          patch.payload = db.raw("payload - 'row'");
        }
      }
      if (o.targetRef !== undefined) patch.target_ref = o.targetRef;
      if (o.status === 'delivered') patch.delivered_at = db.fn.now();
      if (o.retryInMs !== undefined) {
        patch.next_attempt_at = db.raw('now() + make_interval(secs => ?)', [seconds(o.retryInMs)]);
      }
      if (o.refundAttempt) patch.attempts = db.raw('greatest(attempts - 1, 0)');
      const updated = await db('outbox').where({ id: job.id, lease_token: job.leaseToken }).update(patch);
      return Number(updated) > 0;
    },

    /** Jobs per status, every status present (0 when none). */
    async countByStatus(): Promise<Record<OutboxStatus, number>> {
      const rows: Array<{ status: string; n: number | string }> = await db('outbox')
        .select('status')
        .count({ n: '*' })
        .groupBy('status');
      const counts = Object.fromEntries(OUTBOX_STATUSES.map((s) => [s, 0])) as Record<OutboxStatus, number>;
      for (const r of rows) {
        if ((OUTBOX_STATUSES as readonly string[]).includes(r.status))
          counts[r.status as OutboxStatus] = Number(r.n);
      }
      return counts;
    },

    async countDue(): Promise<number> {
      const row = await db('outbox')
        .where('status', 'pending')
        .andWhere('next_attempt_at', '<=', db.fn.now())
        .count({ n: '*' })
        .first();
      return Number(row?.n ?? 0);
    },

    /** Never selects the secret. */
    async list(status: OutboxStatus, limit: number): Promise<JobListing[]> {
      const rows = await db('outbox as o')
        .leftJoin('accounts as a', 'a.sub', 'o.sub')
        .where('o.status', status)
        .orderBy('o.id')
        .limit(limit)
        .select(
          'o.id',
          'o.sub',
          db.raw("coalesce(a.legacy_id, o.payload->>'legacy_id') as legacy_id"),
          'o.status',
          'o.attempts',
          'o.next_attempt_at',
          'o.last_attempt_at',
          'o.last_reason',
          'o.last_error',
          'o.created_at',
          'o.delivered_at',
        );
      return rows.map((r: JobListing) => ({ ...r, id: Number(r.id), attempts: Number(r.attempts) }));
    },

    async findStatus(id: number): Promise<OutboxStatus | undefined> {
      const row = await db('outbox').where({ id }).first('status');
      return row?.status as OutboxStatus | undefined;
    },

    /**
     * Puts jobs of the given statuses back to pending, due now, with a fresh attempt
     * budget. The secret is left as it is: the sink decides what a job without one means.
     */
    async requeue(statuses: OutboxStatus[], id?: number, reason?: string): Promise<number[]> {
      const query = db('outbox').whereIn('status', statuses);
      if (id !== undefined) query.andWhere({ id });
      if (reason !== undefined) query.andWhere({ last_reason: reason });
      const rows: Array<{ id: number | string }> = await query
        .update({
          status: 'pending',
          attempts: 0,
          next_attempt_at: db.fn.now(),
          locked_until: null,
          lease_token: null,
          updated_at: db.fn.now(),
        })
        .returning('id');
      return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
    },

    /**
     * Gives up on failed jobs (all, one, or those of one reason), and on dead jobs that still
     * keep their row copy: they become dead, their password form and row copy erased.
     * Returns the ids.
     */
    async deadLetter(id?: number, reason?: string): Promise<number[]> {
      const query = db('outbox').where((w) =>
        w.where('status', 'failed').orWhere((d) => d.where('status', 'dead').whereNotNull('row_data')),
      );
      if (id !== undefined) query.andWhere({ id });
      if (reason !== undefined) query.andWhere({ last_reason: reason });
      const rows: Array<{ id: number | string }> = await query
        .update({
          status: 'dead',
          // Erased as when a job ends on its own: the password form and the row copy.
          secret: null,
          row_data: null,
          payload: db.raw("payload - 'row'"),
          locked_until: null,
          lease_token: null,
          updated_at: db.fn.now(),
        })
        .returning('id');
      return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
    },

    /** Wakes LISTENing workers at once (PostgreSQL; the embedded store only polls). */
    async notify(): Promise<void> {
      if (isPg(db)) await db.raw('SELECT pg_notify(?, ?)', [OUTBOX_CHANNEL, '']);
    },

    /** Accounts by source (legacy, import, local). */
    async accountsBySource(): Promise<Record<string, number>> {
      const rows: Array<{ source: string; n: number | string }> = await db('accounts')
        .select('source')
        .count({ n: '*' })
        .groupBy('source');
      return Object.fromEntries(rows.map((r) => [r.source, Number(r.n)]));
    },

    /** Accounts by the legacy hash scheme they migrated from. */
    async accountsByScheme(): Promise<Record<string, number>> {
      const rows = (await db('accounts')
        .whereNotNull('legacy_scheme')
        .select({ scheme: 'legacy_scheme' })
        .count({ n: '*' })
        .groupBy('legacy_scheme')
        .orderBy('legacy_scheme')) as Array<{ scheme: string; n: number | string }>;
      return Object.fromEntries(rows.map((r) => [r.scheme, Number(r.n)]));
    },

    /** Accounts that carry a legacy id: the share of the legacy table already covered. */
    async accountsWithLegacyId(): Promise<number> {
      const row = await db('accounts').whereNotNull('legacy_id').count({ n: '*' }).first();
      return Number(row?.n ?? 0);
    },
  };
}

export type DeliveryQueries = ReturnType<typeof createDeliveryQueries>;
