// Back-channel logout tokens waiting for delivery: one row per relying party and session
// to tell, written when a session ends (RP-initiated logout, an operator's revocation, a
// disabled account). Claimed under a lease with FOR UPDATE SKIP LOCKED so that replicas
// share the work, and an outcome is recorded only while the lease still holds.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';

export interface LogoutNotice {
  clientId: string;
  sub: string;
  sid: string | undefined;
}

export interface ClaimedLogout extends LogoutNotice {
  id: number;
  attempts: number;
  leaseToken: string;
}

export type LogoutStatus = 'pending' | 'delivered' | 'dead';

export interface LogoutListing {
  id: number;
  client_id: string;
  sub: string;
  sid: string | null;
  status: LogoutStatus;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  delivered_at: Date | null;
}

/** Wakes this process's dispatcher at once; other replicas find the rows at their next poll. */
type Wake = () => void;
const wakers = new Set<Wake>();

export function onLogoutQueued(wake: Wake): () => void {
  wakers.add(wake);
  return () => wakers.delete(wake);
}

export async function enqueueLogouts(db: Knex, notices: LogoutNotice[]): Promise<void> {
  if (notices.length === 0) return;
  await db('backchannel_logouts').insert(
    notices.map((n) => ({ client_id: n.clientId, sub: n.sub, sid: n.sid ?? null })),
  );
  for (const wake of wakers) wake();
}

export function createLogoutQueue(db: Knex) {
  return {
    async claim(limit: number, leaseMs: number): Promise<ClaimedLogout[]> {
      const token = randomUUID();
      const result = await db.raw(
        `WITH due AS (
           SELECT id FROM backchannel_logouts
            WHERE status = 'pending' AND next_attempt_at <= now()
              AND (locked_until IS NULL OR locked_until <= now())
            ORDER BY next_attempt_at, id
            LIMIT ?
            FOR UPDATE SKIP LOCKED
         )
         UPDATE backchannel_logouts AS b
            SET locked_until = now() + make_interval(secs => ?), lease_token = ?,
                attempts = b.attempts + 1, updated_at = now()
           FROM due WHERE b.id = due.id
         RETURNING b.id, b.client_id, b.sub, b.sid, b.attempts`,
        [limit, leaseMs / 1000, token],
      );
      return (result.rows as Array<Record<string, unknown>>).map((r) => ({
        id: Number(r.id),
        clientId: String(r.client_id),
        sub: String(r.sub),
        sid: r.sid === null ? undefined : String(r.sid),
        attempts: Number(r.attempts),
        leaseToken: token,
      }));
    },

    /** Records the outcome; `retryInMs` puts it back as pending. False when the lease was lost. */
    async finish(
      job: Pick<ClaimedLogout, 'id' | 'leaseToken'>,
      o: { status: LogoutStatus; error: string | null; retryInMs?: number },
    ): Promise<boolean> {
      const n = await db('backchannel_logouts')
        .where({ id: job.id, lease_token: job.leaseToken })
        .update({
          status: o.status,
          last_error: o.error,
          locked_until: null,
          lease_token: null,
          updated_at: db.fn.now(),
          ...(o.status === 'delivered' ? { delivered_at: db.fn.now() } : {}),
          ...(o.retryInMs !== undefined
            ? { next_attempt_at: db.raw('now() + make_interval(secs => ?)', [o.retryInMs / 1000]) }
            : {}),
        });
      return Number(n) === 1;
    },

    async list(sub?: string): Promise<LogoutListing[]> {
      const q = db('backchannel_logouts').orderBy('id');
      if (sub) q.where({ sub });
      const rows = await q.select(
        'id',
        'client_id',
        'sub',
        'sid',
        'status',
        'attempts',
        'next_attempt_at',
        'last_error',
        'delivered_at',
      );
      return rows.map((r: LogoutListing) => ({ ...r, id: Number(r.id), attempts: Number(r.attempts) }));
    },
  };
}

export type LogoutQueue = ReturnType<typeof createLogoutQueue>;
