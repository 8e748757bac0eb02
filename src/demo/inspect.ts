// What the demo page shows behind the scenes of a login: the user's account in the bridge
// store, their delivery job, and the record the reference target holds. Never a password,
// a hash or the job's password form: those columns are not even selected.
import type { Knex } from 'knex';
import type { ReferenceDouble } from '../target/reference.ts';

export interface MigrationState {
  sub: string;
  legacy_id: string | null;
  source: string;
  legacy_scheme: string | null;
  migrated_at: Date | null;
  last_login_at: Date | null;
}

export interface DeliveryState {
  status: string;
  attempts: number;
  last_reason: string | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
  next_attempt_at: Date | null;
}

export interface Inspection {
  account: MigrationState | undefined;
  delivery: DeliveryState | undefined;
  /** The target's record without its password field; undefined until delivered. */
  targetUser: Record<string, unknown> | undefined;
}

export function createInspector(db: Knex, target: ReferenceDouble) {
  // The double's users come without their password fields already.
  function targetRecord(account: MigrationState | undefined) {
    return account?.legacy_id ? target.users().get(account.legacy_id) : undefined;
  }

  async function inspect(sub: string): Promise<Inspection> {
    const account: MigrationState | undefined = await db('accounts')
      .where({ sub })
      .first('sub', 'legacy_id', 'source', 'legacy_scheme', 'migrated_at', 'last_login_at');
    const delivery: DeliveryState | undefined = await db('outbox')
      .where({ sub, kind: 'deliver' })
      .first(
        'status',
        'attempts',
        'last_reason',
        'last_error',
        'created_at',
        'delivered_at',
        'next_attempt_at',
      );
    return { account, delivery, targetUser: targetRecord(account) };
  }

  return {
    inspect,
    /** Waits (bounded) for a pending delivery to finish, so the page usually shows the result. */
    async settled(sub: string, timeoutMs: number): Promise<Inspection> {
      const deadline = Date.now() + timeoutMs;
      let state = await inspect(sub);
      while (state.delivery?.status === 'pending' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 150));
        state = await inspect(sub);
      }
      return state;
    },
  };
}

export type Inspector = ReturnType<typeof createInspector>;
