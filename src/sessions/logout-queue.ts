// Back-channel logout tokens waiting for delivery: one row per relying party and session
// to tell, written when a session ends (RP-initiated logout, an operator's revocation, a
// disabled account). Claimed under a lease with FOR UPDATE SKIP LOCKED so that replicas
// share the work, and an outcome is recorded only while the lease still holds.
import type { Knex } from 'knex';
import { claimDue, finishLeased } from '../store/leased-jobs.ts';

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
      const { rows, leaseToken } = await claimDue(
        db,
        'backchannel_logouts',
        ['id', 'client_id', 'sub', 'sid', 'attempts'],
        limit,
        leaseMs,
      );
      return rows.map((r) => ({
        id: Number(r.id),
        clientId: String(r.client_id),
        sub: String(r.sub),
        sid: r.sid === null ? undefined : String(r.sid),
        attempts: Number(r.attempts),
        leaseToken,
      }));
    },

    /** Records the outcome; `retryInMs` puts it back as pending. False when the lease was lost. */
    finish(
      job: Pick<ClaimedLogout, 'id' | 'leaseToken'>,
      o: { status: LogoutStatus; error: string | null; retryInMs?: number },
    ): Promise<boolean> {
      return finishLeased(
        db,
        'backchannel_logouts',
        job,
        o,
        o.status === 'delivered' ? { delivered_at: db.fn.now() } : {},
      );
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
