// oidc-provider's storage adapter on knex (PostgreSQL or the embedded PGlite). One table
// for every model, keyed by type and id. `consume` is a single conditional UPDATE, so of
// many concurrent redemptions of one code exactly one wins; expired rows are never
// returned and are swept in the background. Clients come from the clients table.
// A bearer token's row is keyed by a keyed hash of its value, and its payload keeps no copy
// of the value (the jti comes back from the id asked for), so a copy of the store holds no
// token that works.
import type { Knex } from 'knex';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { StoreUnavailableError } from '../errors.ts';
import { asStoreFault } from '../store/faults.ts';

const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'ClientCredentials',
  'BackchannelAuthenticationRequest',
  'Grant',
]);

/**
 * The store is down, cut or stalled. oidc-provider answers its own endpoints with this
 * error's status (503) and `temporarily_unavailable`; the StoreUnavailableError is the cause,
 * so the bridge's own pages map it through the same table.
 */
export class StoreTemporarilyUnavailable extends errors.OIDCProviderError {
  constructor(cause: StoreUnavailableError) {
    super(503, 'temporarily_unavailable', { cause });
    this.expose = true;
    (this as { error_description?: string }).error_description =
      'The service is temporarily unavailable. Try again in a moment.';
  }
}

/** Runs a store call; an outage becomes StoreTemporarilyUnavailable, anything else passes. */
export async function guardStore<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const fault = asStoreFault(err);
    throw fault ? new StoreTemporarilyUnavailable(fault) : err;
  }
}

const METHODS = [
  'upsert',
  'find',
  'findByUid',
  'findByUserCode',
  'consume',
  'destroy',
  'revokeByGrantId',
] as const;

/** Runs every adapter method of `cls` through `guard`, so a store outage answers 503, never 500. */
export function guardMethods<T extends new (name: string) => Adapter>(
  cls: T,
  guard: <R>(fn: () => Promise<R>) => Promise<R>,
): T {
  for (const name of METHODS) {
    const original = cls.prototype[name] as (...args: unknown[]) => Promise<unknown>;
    Object.defineProperty(cls.prototype, name, {
      value(this: Adapter, ...args: unknown[]) {
        return guard(() => original.apply(this, args));
      },
    });
  }
  return cls;
}

import { createPayloadReader, forgetReadAhead, takeReadAhead } from './payload-reads.ts';
import { HASHED_ID_MODELS, storedId, tokenIdKey } from './stored-id.ts';

export { HASHED_ID_MODELS, tokenIdKey };

function toPayload(
  row: { payload: unknown; consumed_at: Date | string | null } | undefined,
): AdapterPayload | undefined {
  if (!row) return undefined;
  const payload = row.payload as AdapterPayload;
  if (row.consumed_at) payload.consumed = Math.floor(new Date(row.consumed_at).getTime() / 1000);
  return payload;
}

export function createAdapterClass(
  db: Knex,
  findClient: (id: string) => Promise<Record<string, unknown> | undefined>,
  opts: { idKey?: Buffer } = {},
): new (
  name: string,
) => Adapter {
  const idKey = opts.idKey ?? tokenIdKey(undefined);
  const read = createPayloadReader(db);
  const KnexAdapter = class KnexAdapter implements Adapter {
    readonly name: string;
    readonly #hashed: boolean;

    constructor(name: string) {
      this.name = name;
      this.#hashed = HASHED_ID_MODELS.has(name);
    }

    /** The id as stored: a keyed hash for bearer values, the id itself otherwise. */
    #key(id: string): string {
      return storedId(this.name, id, idKey);
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      forgetReadAhead();
      if (this.name === 'Client') {
        await db('clients')
          .insert({ client_id: id, metadata: JSON.stringify(payload), updated_at: db.fn.now() })
          .onConflict('client_id')
          .merge(['metadata', 'updated_at']);
        return;
      }
      const stored = this.#hashed ? { ...payload, jti: undefined } : payload;
      const row = {
        type: this.name,
        id: this.#key(id),
        payload: JSON.stringify(stored),
        grant_id: GRANTABLE.has(this.name) ? (payload.grantId ?? null) : null,
        uid: payload.uid ?? null,
        user_code: payload.userCode ?? null,
        expires_at: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
      };
      await db('oidc_payloads')
        .insert(row)
        .onConflict(['type', 'id'])
        .merge(['payload', 'grant_id', 'uid', 'user_code', 'expires_at']);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.name === 'Client') {
        return (await findClient(id)) as AdapterPayload | undefined;
      }
      if (this.name === 'Grant') {
        const ahead = takeReadAhead('Grant', id);
        if (ahead !== undefined) return toPayload(ahead ?? undefined);
      }
      if (!this.#hashed) return toPayload((await read(this.name, [id]))[0]);
      // A row written before ids were hashed is re-keyed the first time it is used; one
      // statement asks for both ids. A stored key (it has a dot, which no token value has) is
      // never looked up as it is.
      const key = this.#key(id);
      const [hashed, unhashed] = await read(this.name, id.includes('.') ? [key] : [key, id]);
      let payload = toPayload(hashed);
      if (!payload && unhashed) {
        payload = toPayload(unhashed)!;
        await db('oidc_payloads')
          .where({ type: this.name, id })
          .update({
            id: key,
            payload: JSON.stringify({ ...payload, jti: undefined, consumed: undefined }),
          });
      }
      if (payload) payload.jti = id;
      return payload;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const ahead = this.name === 'Session' ? takeReadAhead('Session', uid) : undefined;
      if (ahead !== undefined) return toPayload(ahead ?? undefined);
      return this.#findBy({ uid });
    }

    findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return this.#findBy({ user_code: userCode });
    }

    async #findBy(where: Record<string, string>): Promise<AdapterPayload | undefined> {
      const row = await db('oidc_payloads')
        .where({ type: this.name, ...where })
        .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', db.fn.now()))
        .first('payload', 'consumed_at');
      return toPayload(row);
    }

    async consume(id: string): Promise<void> {
      forgetReadAhead();
      const updated = await db('oidc_payloads')
        .where({ type: this.name, id: this.#key(id) })
        .whereNull('consumed_at')
        .update({ consumed_at: db.fn.now() });
      if (updated === 0) {
        throw new errors.InvalidGrant(
          `${this.name === 'AuthorizationCode' ? 'authorization code' : 'grant'} already consumed`,
        );
      }
    }

    async destroy(id: string): Promise<void> {
      forgetReadAhead();
      if (this.name === 'Client') {
        await db('clients').where({ client_id: id }).delete();
        return;
      }
      await db('oidc_payloads')
        .where({ type: this.name, id: this.#key(id) })
        .delete();
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      forgetReadAhead();
      await db('oidc_payloads').where({ grant_id: grantId }).delete();
    }
  };
  return guardMethods(KnexAdapter, guardStore);
}

/** Deletes expired rows; returns how many. Runs on a timer in `start`. */
export async function sweepExpired(db: Knex): Promise<number> {
  return db('oidc_payloads').where('expires_at', '<', db.fn.now()).delete();
}
