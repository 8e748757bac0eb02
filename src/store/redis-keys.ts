// How the optional Redis store names its keys, and the reads and removals that need no
// oidc-provider: revoking a grant's payloads and listing an account's sessions. Kept apart
// from the adapter so that commands that only list or revoke never load oidc-provider.
import type { RedisClientType } from 'redis';

export type RedisClient = RedisClientType;

export interface RedisKeys {
  payload(model: string, id: string): string;
  grant(grantId: string): string;
  uid(uid: string): string;
  userCode(code: string): string;
  accountSessions(accountId: string): string;
  /** Set when a grant is revoked: an access token written after it keeps no copy of the grant. */
  revokedGrant(grantId: string): string;
}

/**
 * How long a revoked grant's mark stays: longer than any request that read the grant before
 * the revocation can take to write its access token (statements time out within seconds).
 */
export const REVOKED_GRANT_MARK_SECONDS = 600;

export function redisKeys(prefix: string): RedisKeys {
  return {
    payload: (model, id) => `${prefix}${model}:${id}`,
    grant: (grantId) => `${prefix}grant:${grantId}`,
    uid: (uid) => `${prefix}uid:${uid}`,
    userCode: (code) => `${prefix}user_code:${code}`,
    accountSessions: (accountId) => `${prefix}account_sessions:${accountId}`,
    revokedGrant: (grantId) => `${prefix}revoked_grant:${grantId}`,
  };
}

/**
 * Every payload key a grant's tokens were stored under is deleted, then the grant's set. The
 * grant is marked revoked first: an access token written later (by a request that read the
 * grant before) is stored without a copy of it, so its use asks PostgreSQL, where the grant
 * is gone.
 */
export async function revokeGrantInRedis(
  redis: RedisClient,
  keys: RedisKeys,
  grantId: string,
): Promise<void> {
  const grantKey = keys.grant(grantId);
  const [, members] = (await redis
    .multi()
    .set(keys.revokedGrant(grantId), '1', { EX: REVOKED_GRANT_MARK_SECONDS })
    .sMembers(grantKey)
    .exec()) as unknown as [unknown, string[]];
  await redis.del([...members, grantKey]);
}

/** The live sessions of an account, for `accounts sessions` and for ending them. */
export async function redisSessionsOf<T>(
  redis: RedisClient,
  keys: RedisKeys,
  accountId: string,
): Promise<T[]> {
  const setKey = keys.accountSessions(accountId);
  const ids = await redis.sMembers(setKey);
  if (ids.length === 0) return [];
  const m = redis.multi();
  for (const id of ids) m.hGet(keys.payload('Session', id), 'payload');
  const found = (await m.exec()) as unknown as Array<string | null>;
  const gone = ids.filter((_, i) => !found[i]);
  // Sessions that expired or ended leave their id behind in the set.
  if (gone.length) await redis.sRem(setKey, gone);
  return found.filter((v): v is string => typeof v === 'string').map((v) => JSON.parse(v) as T);
}
