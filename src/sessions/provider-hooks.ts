// What the bridge adds to oidc-provider around sessions: logout tokens go through the store
// (queued, then delivered with retries by the dispatcher) instead of one POST during the
// logout request; and a new session's grant is built from remembered consent.
import type { Knex } from 'knex';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Consents } from './consents.ts';
import { enqueueLogouts } from './logout-queue.ts';

type Grant = InstanceType<Provider['Grant']>;

/**
 * oidc-provider calls client.backchannelLogout(sub, sid) at logout for every client of the
 * session with a backchannel_logout_uri; here that queues the token instead of sending it.
 */
export function queueBackchannelLogouts(provider: Provider, db: Knex): void {
  const proto = provider.Client.prototype as unknown as {
    backchannelLogout(this: { clientId: string }, sub: string, sid: string): Promise<void>;
  };
  proto.backchannelLogout = async function (sub, sid) {
    await enqueueLogouts(db, [{ clientId: this.clientId, sub, sid }]);
  };
}

/** A grant for this session from what the account allowed this client before, if anything. */
export async function grantFromConsent(
  ctx: KoaContextWithOIDC,
  consents: Consents,
): Promise<Grant | undefined> {
  const oidc = ctx.oidc;
  const remembered = await consents.find(oidc.session!.accountId!, oidc.client!.clientId);
  if (!remembered) return undefined;
  const grant = new oidc.provider.Grant({
    clientId: oidc.client!.clientId,
    accountId: oidc.session!.accountId!,
  });
  grant.addOIDCScope(remembered.scope);
  if (remembered.claims.length) grant.addOIDCClaims(remembered.claims);
  await grant.save();
  return grant;
}

/** Called when a consent interaction has just completed: remembers what the grant now holds. */
export async function rememberConsent(grant: Grant, consents: Consents): Promise<void> {
  await consents.remember(grant.accountId!, grant.clientId!, grant.getOIDCScope(), grant.getOIDCClaims());
}
