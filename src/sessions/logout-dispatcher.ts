// Delivers back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0): claims due
// rows, signs a logout token for each with the provider's keys at the moment of sending
// (so that iat is fresh on a late retry), POSTs it to the client's backchannel_logout_uri
// and retries with back-off until it is answered 200 or 204, or max_attempts is reached.
// A relying party that is down gets its token when it is back.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type Provider from 'oidc-provider';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../logger.ts';
import { backoffDelay } from '../migration/worker.ts';
import { startPollLoop } from '../store/leased-jobs.ts';
import { type ClaimedLogout, createLogoutQueue, onLogoutQueued } from './logout-queue.ts';

export interface LogoutDispatcher {
  /** One pass over what is due; resolves to the number of tokens tried. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const BATCH = 20;

export function startLogoutDispatcher(deps: {
  config: Config;
  db: Knex;
  provider: () => Provider;
  logger: Logger;
  loop?: boolean;
}): LogoutDispatcher {
  const { config, db, logger } = deps;
  const cfg = config.backchannel_logout;
  const log = logger.child({ component: 'backchannel-logout' });
  const queue = createLogoutQueue(db);
  const leaseMs = cfg.timeout_ms * 2 + 5000;

  /** The logout token, signed as oidc-provider signs its own (typ logout+jwt, the client's alg). */
  async function logoutToken(job: ClaimedLogout, client: InstanceType<Provider['Client']>): Promise<string> {
    const provider = deps.provider();
    const token = new provider.IdToken({ sub: job.sub }, { client, ctx: undefined as never });
    (token as unknown as { mask: Record<string, null> }).mask = { sub: null };
    token.set('events', { [BACKCHANNEL_EVENT]: {} });
    token.set('jti', randomUUID());
    if (job.sid) token.set('sid', job.sid);
    return token.issue({ use: 'logout' });
  }

  async function deliver(job: ClaimedLogout): Promise<void> {
    let error: string | null = null;
    let gone = false;
    try {
      const client = await deps.provider().Client.find(job.clientId);
      const uri = (client as unknown as { backchannelLogoutUri?: string } | undefined)?.backchannelLogoutUri;
      if (!client || !uri) {
        gone = true;
        error = client ? 'client has no backchannel_logout_uri any more' : 'client removed';
      } else {
        const res = await fetch(uri, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ logout_token: await logoutToken(job, client) }),
          signal: AbortSignal.timeout(cfg.timeout_ms),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.status !== 200 && res.status !== 204) error = `answered ${res.status}`;
      }
    } catch (err) {
      const e = err as { name?: string; cause?: { code?: string }; message?: string };
      error =
        e.name === 'TimeoutError'
          ? `no answer within ${cfg.timeout_ms} ms`
          : (e.cause?.code ?? e.message ?? 'failed');
    }
    const dead = gone || (error !== null && job.attempts >= cfg.max_attempts);
    const outcome =
      error === null
        ? { status: 'delivered' as const, error: null }
        : dead
          ? { status: 'dead' as const, error }
          : { status: 'pending' as const, error, retryInMs: backoffDelay(job.attempts, cfg) };
    if (!(await queue.finish(job, outcome))) return;
    const facts = { job: job.id, client_id: job.clientId, attempts: job.attempts };
    if (outcome.status === 'delivered') log.info(facts, 'logout token delivered');
    else if (outcome.status === 'dead') log.warn({ ...facts, error }, 'logout token given up');
    else log.info({ ...facts, error, retry_in_ms: outcome.retryInMs }, 'logout token will be retried');
  }

  async function pass(): Promise<number> {
    const jobs = await queue.claim(BATCH, leaseMs);
    await Promise.allSettled(jobs.map(deliver));
    return jobs.length;
  }

  const loop = startPollLoop({
    pass,
    batch: BATCH,
    pollMs: cfg.poll_interval_ms,
    subscribe: onLogoutQueued,
    onError: (err) => log.warn({ err: { message: err.message } }, 'logout delivery pass failed'),
    loop: deps.loop,
  });

  return { runOnce: loop.runOnce, stop: loop.stop };
}
