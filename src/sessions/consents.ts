// Consent remembered per account and client: the scopes and claims a user allowed, kept
// for oidc.ttl.grant from the last time they were given, so that a new browser session
// builds its grant from them and asks only for what is new. Revoking one also ends every
// grant of that client for the account, with its refresh tokens.
import type { Knex } from 'knex';
import type { Payloads } from './payloads.ts';

export interface Consent {
  client_id: string;
  scope: string;
  claims: string[];
  created_at: Date;
  updated_at: Date;
  expires_at: Date;
}

export function createConsents(db: Knex, payloads: Payloads, ttlSeconds: number) {
  function parse(row: Record<string, unknown>): Consent {
    const claims = typeof row.claims === 'string' ? JSON.parse(row.claims) : row.claims;
    return { ...(row as unknown as Consent), claims: Array.isArray(claims) ? claims : [] };
  }

  return {
    async find(sub: string, clientId: string): Promise<Consent | undefined> {
      const row = await db('consents')
        .where({ sub, client_id: clientId })
        .andWhere('expires_at', '>', db.fn.now())
        .first();
      return row ? parse(row) : undefined;
    },

    /** Adds what was just allowed to what is remembered, and restarts its lifetime. */
    async remember(sub: string, clientId: string, scope: string, claims: string[]): Promise<void> {
      await db.transaction(async (trx) => {
        const row = await trx('consents')
          .where({ sub, client_id: clientId })
          .andWhere('expires_at', '>', trx.fn.now())
          .forUpdate()
          .first();
        const previous = row ? parse(row) : undefined;
        const scopes = [...new Set([...(previous?.scope.split(' ') ?? []), ...scope.split(' ')])].filter(
          Boolean,
        );
        const allClaims = [...new Set([...(previous?.claims ?? []), ...claims])];
        const expires = new Date(Date.now() + ttlSeconds * 1000);
        await trx('consents')
          .insert({
            sub,
            client_id: clientId,
            scope: scopes.join(' '),
            claims: JSON.stringify(allClaims),
            expires_at: expires,
          })
          .onConflict(['sub', 'client_id'])
          .merge({
            scope: scopes.join(' '),
            claims: JSON.stringify(allClaims),
            expires_at: expires,
            updated_at: trx.fn.now(),
            ...(previous ? {} : { created_at: trx.fn.now() }),
          });
      });
    },

    async list(sub: string): Promise<Consent[]> {
      const rows = await db('consents')
        .where({ sub })
        .andWhere('expires_at', '>', db.fn.now())
        .orderBy('client_id');
      return rows.map(parse);
    },

    /** Forgets the consent and ends the client's grants; the number of grants ended. */
    async revoke(sub: string, clientId: string): Promise<{ forgotten: boolean; grants: number }> {
      const forgotten = Number(await db('consents').where({ sub, client_id: clientId }).delete()) > 0;
      const grants = (await payloads.grants(sub)).filter((g) => g.clientId === clientId);
      for (const g of grants) await payloads.revokeGrant(g.jti);
      return { forgotten, grants: grants.length };
    },
  };
}

export type Consents = ReturnType<typeof createConsents>;
