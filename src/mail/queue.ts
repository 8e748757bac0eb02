// E-mails waiting to be sent: one row per message, the message itself sealed with the key
// encryption key (it holds a reset link), erased once sent or given up. Claimed under a
// lease with FOR UPDATE SKIP LOCKED, as the delivery outbox is, so replicas share the work
// and an outcome counts only while its lease holds.
import type { Knex } from 'knex';
import type { SecretBox } from '../security/secret-box.ts';
import { claimDue, finishLeased } from '../store/leased-jobs.ts';
import type { OutgoingMail } from './transport.ts';

export interface ClaimedMail {
  id: number;
  kind: string;
  attempts: number;
  leaseToken: string;
  mail: OutgoingMail | undefined;
}

export type MailStatus = 'pending' | 'sent' | 'dead';

type Wake = () => void;
const wakers = new Set<Wake>();

/** This process's dispatcher wakes at once; other replicas find the row at their next poll. */
export function onMailQueued(wake: Wake): () => void {
  wakers.add(wake);
  return () => wakers.delete(wake);
}

export function wakeMailDispatchers(): void {
  for (const wake of wakers) wake();
}

export async function enqueueMail(db: Knex, box: SecretBox, kind: string, mail: OutgoingMail): Promise<void> {
  await db('mail_outbox').insert({ kind, message: box.seal(JSON.stringify(mail)) });
}

export function createMailQueue(db: Knex, box: SecretBox) {
  return {
    async claim(limit: number, leaseMs: number): Promise<ClaimedMail[]> {
      const { rows, leaseToken } = await claimDue(
        db,
        'mail_outbox',
        ['id', 'kind', 'message', 'attempts'],
        limit,
        leaseMs,
      );
      return rows.map((r) => ({
        id: Number(r.id),
        kind: String(r.kind),
        attempts: Number(r.attempts),
        leaseToken,
        mail: typeof r.message === 'string' ? (JSON.parse(box.open(r.message)) as OutgoingMail) : undefined,
      }));
    },

    /** Records the outcome; `retryInMs` puts it back as pending. False when the lease was lost. */
    finish(
      job: Pick<ClaimedMail, 'id' | 'leaseToken'>,
      o: { status: MailStatus; error: string | null; retryInMs?: number },
    ): Promise<boolean> {
      // The message holds a reset link: it goes once it is sent or given up.
      return finishLeased(db, 'mail_outbox', job, o, {
        ...(o.status === 'pending' ? {} : { message: null }),
        ...(o.status === 'sent' ? { sent_at: db.fn.now() } : {}),
      });
    },

    async counts(): Promise<Record<MailStatus, number>> {
      const rows = await db('mail_outbox').select('status').count('* as n').groupBy('status');
      const out: Record<MailStatus, number> = { pending: 0, sent: 0, dead: 0 };
      for (const r of rows as Array<{ status: MailStatus; n: string | number }>) out[r.status] = Number(r.n);
      return out;
    },
  };
}

export type MailQueue = ReturnType<typeof createMailQueue>;
