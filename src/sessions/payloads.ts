// An account's sessions and grants among oidc-provider's stored payloads, read by their
// accountId, and removed through the storage adapter itself, so that however the adapter
// keys its rows, what it removes is what oidc-provider would have removed.
import type { Knex } from 'knex';
import type { Adapter } from 'oidc-provider';
import { currentPayloadScope } from '../oidc/payload-scope.ts';
import type { ShortLivedStore } from '../store/redis.ts';

export interface StoredSession {
  jti: string;
  uid: string;
  accountId: string;
  loginTs?: number;
  amr?: string[];
  acr?: string;
  exp?: number;
  authorizations?: Record<string, { sid?: string; grantId?: string; persistsLogout?: boolean }>;
}

export interface StoredGrant {
  jti: string;
  accountId: string;
  clientId: string;
  exp?: number;
  iat?: number;
}

/** With `shortLived`, sessions are read from Redis, where the adapter keeps them. */
export function createPayloads(db: Knex, shortLived?: ShortLivedStore) {
  // Loaded when first needed: commands that only list never load oidc-provider.
  let adapterClass: Promise<new (name: string) => Adapter> | undefined;
  const adapters = new Map<string, Adapter>();
  async function adapter(name: string): Promise<Adapter> {
    // Sessions and grants are stored under their own ids (stored-id.ts hashes only bearer
    // values), so the token-id key does not matter to what is read and removed here.
    adapterClass ??= Promise.all([import('../oidc/split-adapter.ts'), import('../oidc/stored-id.ts')]).then(
      ([m, ids]) =>
        m.createStoreAdapterClass(db, async () => undefined, shortLived, ids.tokenIdKey(undefined)),
    );
    const known = adapters.get(name);
    if (known) return known;
    const made = new (await adapterClass)(name);
    adapters.set(name, made);
    return made;
  }

  async function byAccount<T>(type: 'Session' | 'Grant', sub: string): Promise<T[]> {
    // Read in a request, the list includes what that request wrote through the adapter.
    await currentPayloadScope()?.flush();
    const rows = await db('oidc_payloads')
      .where({ type })
      .andWhereRaw("payload->>'accountId' = ?", [sub])
      .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', db.fn.now()))
      .select('payload');
    return rows.map((r: { payload: T | string }) =>
      typeof r.payload === 'string' ? (JSON.parse(r.payload) as T) : r.payload,
    );
  }

  return {
    sessions: (sub: string) =>
      shortLived ? shortLived.sessionsOf<StoredSession>(sub) : byAccount<StoredSession>('Session', sub),
    grants: (sub: string) => byAccount<StoredGrant>('Grant', sub),

    /** Ends a grant: every token issued under it, then the grant itself. */
    async revokeGrant(grantId: string): Promise<void> {
      const grants = await adapter('Grant');
      await grants.revokeByGrantId!(grantId);
      await grants.destroy(grantId);
    },

    async destroySession(jti: string): Promise<void> {
      await (await adapter('Session')).destroy(jti);
    },
  };
}

export type Payloads = ReturnType<typeof createPayloads>;
