// An account's browser sessions: listed for `accounts sessions`, and ended from outside a
// browser (an operator, a disabled account) as RP-initiated logout ends them: a logout
// token queued for every relying party of the session that registered a back-channel
// logout URI, its grants revoked (unless kept past logout), the session removed.
import type { Knex } from 'knex';
import { enqueueLogouts, type LogoutNotice } from './logout-queue.ts';
import type { Payloads, StoredSession } from './payloads.ts';

export interface SessionSummary {
  session: string;
  signed_in_at: Date | undefined;
  expires_at: Date | undefined;
  amr: string[];
  acr: string | undefined;
  clients: string[];
}

export function summarise(s: StoredSession): SessionSummary {
  return {
    session: s.uid,
    signed_in_at: s.loginTs ? new Date(s.loginTs * 1000) : undefined,
    expires_at: s.exp ? new Date(s.exp * 1000) : undefined,
    amr: s.amr ?? [],
    acr: s.acr,
    clients: Object.keys(s.authorizations ?? {}),
  };
}

export function createSessions(db: Knex, payloads: Payloads) {
  async function backchannelClients(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await db('clients').whereIn('client_id', ids).select('client_id', 'metadata');
    return new Set(
      rows
        .filter(
          (r: { metadata: Record<string, unknown> }) =>
            typeof r.metadata?.backchannel_logout_uri === 'string',
        )
        .map((r: { client_id: string }) => r.client_id),
    );
  }

  async function end(sub: string, sessions: StoredSession[]): Promise<{ sessions: number; notices: number }> {
    const authorizations = sessions.flatMap((s) => Object.entries(s.authorizations ?? {}));
    const told = await backchannelClients([...new Set(authorizations.map(([clientId]) => clientId))]);
    const notices: LogoutNotice[] = authorizations
      .filter(([clientId]) => told.has(clientId))
      .map(([clientId, a]) => ({ clientId, sub, sid: a.sid }));
    await enqueueLogouts(db, notices);
    for (const [, a] of authorizations) {
      if (a.grantId && !a.persistsLogout) await payloads.revokeGrant(a.grantId);
    }
    for (const s of sessions) await payloads.destroySession(s.jti);
    return { sessions: sessions.length, notices: notices.length };
  }

  return {
    async list(sub: string): Promise<SessionSummary[]> {
      return (await payloads.sessions(sub))
        .map(summarise)
        .sort((a, b) => (b.signed_in_at?.getTime() ?? 0) - (a.signed_in_at?.getTime() ?? 0));
    },

    /** Ends one session, named by the id `accounts sessions` shows; undefined when there is none. */
    async revoke(sub: string, session: string): Promise<{ sessions: number; notices: number } | undefined> {
      const found = (await payloads.sessions(sub)).filter((s) => s.uid === session);
      return found.length ? end(sub, found) : undefined;
    },

    /** Ends every session of the account (sign out everywhere; a disabled account). */
    async revokeAll(sub: string): Promise<{ sessions: number; notices: number }> {
      return end(sub, await payloads.sessions(sub));
    },

    /**
     * Ends all access of an account (disabled or deleted): every session as above, then every
     * grant left, those kept past logout (offline_access) included, with their access and
     * refresh tokens.
     */
    async revokeAccess(sub: string): Promise<{ sessions: number; notices: number; grants: number }> {
      const ended = await end(sub, await payloads.sessions(sub));
      const grants = await payloads.grants(sub);
      for (const g of grants) await payloads.revokeGrant(g.jti);
      return { ...ended, grants: grants.length };
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
