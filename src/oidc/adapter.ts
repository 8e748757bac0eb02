// oidc-provider's storage adapter on knex (PostgreSQL or the embedded PGlite). One table
// for every model, keyed by type and id. `consume` is a conditional UPDATE, so of many
// concurrent redemptions of one code exactly one wins; within a request it goes with the
// request's writes, in one statement that writes them only if it matched (so the loser
// stores no tokens). Expired rows are never returned and are swept in the background.
// Clients come from the clients table.
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

/**
 * The models consumed at the token endpoint, whose consume can wait for the request's final
 * statement: a refusal there is answered as oidc-provider answers one, a 400 invalid_grant
 * (provider.ts). A pushed authorization request is consumed at the authorization endpoint,
 * whose answer is a redirect, and is consumed at once.
 */
const CONSUMED_AT_TOKEN_ENDPOINT = new Set([
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

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

import { directStatements } from '../store/direct-statements.ts';
import { createPayloadReader } from './payload-reads.ts';
import { currentPayloadScope, type PayloadRow, type PayloadScope } from './payload-scope.ts';
import { HASHED_ID_MODELS, storedId, tokenIdKey } from './stored-id.ts';

interface StoredRow {
  type?: string;
  id: string;
  uid: string | null;
  grant_id: string | null;
  expires_at: Date | string | null;
  payload: AdapterPayload | string;
  consumed_at: Date | string | null;
}

/**
 * PostgreSQL's text holds no NUL character (U+0000): a statement given one fails as a whole.
 * An id with one names no row; a payload with one (a parameter of the request it comes from)
 * is refused with invalid_request, before it is queued with the request's other writes.
 */
const hasNul = (value: string): boolean => value.includes('\0');
// JSON.stringify writes U+0000 as \u0000; a backslash typed before "u0000" comes out doubled.
const NUL_IN_JSON = /(?<!\\)(?:\\\\)*\\u0000/;

/**
 * Refuses a payload (as JSON) holding a NUL, in either store: with Redis, the refresh token
 * that a code later becomes (its nonce, its claims) is still written to PostgreSQL.
 */
export function refuseNul(id: string, json: string): void {
  if (NUL_IN_JSON.test(json) || hasNul(id)) {
    throw new errors.InvalidRequest(
      'a parameter holds a NUL character (U+0000), which no parameter may hold; remove it',
    );
  }
}

/** What a payload scope keeps of a stored row beside its payload. */
function keptRow(type: string, row: StoredRow) {
  return {
    type,
    id: row.id,
    uid: row.uid,
    grantId: row.grant_id,
    expiresAt: row.expires_at ? new Date(row.expires_at).getTime() : null,
  };
}

const consumedOf = (row: StoredRow): number | null =>
  row.consumed_at ? Math.floor(new Date(row.consumed_at).getTime() / 1000) : null;

/** A stored row's payload as oidc-provider expects it; kept in the request's scope, if any. */
function payloadOf(type: string, row: StoredRow, scope: PayloadScope | undefined): AdapterPayload {
  const text = typeof row.payload === 'string' ? row.payload : undefined;
  const payload = (text === undefined ? row.payload : JSON.parse(text)) as AdapterPayload;
  const consumed = consumedOf(row);
  // Kept as the text it came as, unless that holds a consumed state of its own.
  scope?.remember(
    keptRow(type, row),
    text !== undefined && !('consumed' in payload) ? text : payload,
    consumed,
  );
  if (consumed !== null) payload.consumed = consumed;
  return payload;
}

/**
 * A row read along with a token, its grant or its session: kept for the request as the JSON
 * it came as, parsed only if the request asks for it. Neither model is ever consumed, so that
 * JSON holds no consumed state.
 */
function keepAlong(scope: PayloadScope, row: StoredRow): void {
  if (typeof row.payload !== 'string') payloadOf(row.type ?? '', row, scope);
  else scope.remember(keptRow(row.type ?? '', row), row.payload, consumedOf(row));
}

export { HASHED_ID_MODELS, tokenIdKey };

export function createAdapterClass(
  db: Knex,
  findClient: (id: string) => Promise<Record<string, unknown> | undefined>,
  opts: { idKey?: Buffer } = {},
): new (
  name: string,
) => Adapter {
  const idKey = opts.idKey ?? tokenIdKey(undefined);
  const read = createPayloadReader(db, keepAlong);
  // The payload statements of the login and token paths go past knex's runner, as its reads do.
  const send = directStatements(db);
  const findBy = (column: 'uid' | 'user_code') =>
    `select id, uid, grant_id, expires_at, payload::text as payload, consumed_at from oidc_payloads
      where type = ? and ${column} = ? and (expires_at is null or expires_at > CURRENT_TIMESTAMP) limit 1`;
  const FIND_BY = { uid: findBy('uid'), user_code: findBy('user_code') };
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
      if (this.name === 'Client') {
        await db('clients')
          .insert({ client_id: id, metadata: JSON.stringify(payload), updated_at: db.fn.now() })
          .onConflict('client_id')
          .merge(['metadata', 'updated_at']);
        return;
      }
      const stored = this.#hashed ? { ...payload, jti: undefined } : payload;
      const json = JSON.stringify(stored);
      refuseNul(id, json);
      const row: PayloadRow = {
        type: this.name,
        id: this.#key(id),
        payload: json,
        grant_id: GRANTABLE.has(this.name) ? (payload.grantId ?? null) : null,
        uid: payload.uid ?? null,
        user_code: payload.userCode ?? null,
        expires_at: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
      };
      const scope = currentPayloadScope();
      if (!scope) {
        await writeRows([row], [], []);
        return;
      }
      if (scope.mustFlushBefore(row.type, row.id)) await scope.flush();
      scope.upsert(row, writeRows);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (hasNul(id)) return undefined;
      if (this.name === 'Client') {
        return (await findClient(id)) as AdapterPayload | undefined;
      }
      const key = this.#key(id);
      const scope = currentPayloadScope();
      const held = scope?.find(this.name, key);
      if (held) return 'absent' in held ? undefined : this.#withJti(held.payload as AdapterPayload, id);
      await scope?.flush();
      if (scope && this.name === 'AuthorizationCode') {
        const code = await findCodeWithItsGrant(key, scope);
        // A miss may still be a code stored before ids were hashed: the path below re-keys it.
        if (code || id.includes('.')) return this.#withJti(code, id);
      }
      // A row written before ids were hashed is re-keyed the first time it is used; one
      // statement asks for both ids, with the lookups started in the same tick. A stored key
      // (it has a dot, which no token value has) is never looked up as it is.
      const legacyId = this.#hashed && !id.includes('.');
      const [hashed, unhashed] = await read(this.name, legacyId ? [key, id] : [key]);
      let payload = hashed ? payloadOf(this.name, hashed, scope) : undefined;
      if (!payload && unhashed) {
        payload = payloadOf(this.name, unhashed, undefined);
        await db('oidc_payloads')
          .where({ type: this.name, id })
          .update({
            id: key,
            payload: JSON.stringify({ ...payload, jti: undefined, consumed: undefined }),
          });
      }
      return this.#withJti(payload, id);
    }

    /** A bearer value's payload keeps no copy of it: the jti comes back from the id asked for. */
    #withJti(payload: AdapterPayload | undefined, id: string): AdapterPayload | undefined {
      if (payload && this.#hashed) payload.jti = id;
      return payload;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      if (hasNul(uid)) return undefined;
      const scope = currentPayloadScope();
      const held = scope?.findByUid(this.name, uid);
      if (held) return 'absent' in held ? undefined : (held.payload as AdapterPayload);
      await scope?.flush();
      return this.#findBy({ uid }, scope);
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      if (hasNul(userCode)) return undefined;
      await currentPayloadScope()?.flush();
      return this.#findBy({ user_code: userCode });
    }

    async #findBy(
      where: { uid: string } | { user_code: string },
      scope?: PayloadScope,
    ): Promise<AdapterPayload | undefined> {
      const [column, value] =
        'uid' in where ? (['uid', where.uid] as const) : (['user_code', where.user_code] as const);
      const [row] = await send<StoredRow>(FIND_BY[column], [this.name, value]);
      return row ? payloadOf(this.name, row, scope) : undefined;
    }

    async consume(id: string): Promise<void> {
      const scope = currentPayloadScope();
      const key = this.#key(id);
      const refused = () =>
        new errors.InvalidGrant(
          `${this.name === 'AuthorizationCode' ? 'authorization code' : 'grant'} already consumed`,
        );
      if (scope && CONSUMED_AT_TOKEN_ENDPOINT.has(this.name)) {
        // Sent with the tokens the request writes, which are stored only if this matches.
        if (scope.mustFlushBeforeConsume(this.name, key)) await scope.flush();
        scope.consume(this.name, key, Math.floor(Date.now() / 1000), writeRows, refused);
        return;
      }
      await scope?.flush();
      const updated = await db('oidc_payloads')
        .where({ type: this.name, id: key })
        .whereNull('consumed_at')
        .update({ consumed_at: db.fn.now() });
      if (updated === 0) throw refused();
      scope?.consumed(this.name, key, Math.floor(Date.now() / 1000));
    }

    async destroy(id: string): Promise<void> {
      if (this.name === 'Client') {
        await db('clients').where({ client_id: id }).delete();
        return;
      }
      const scope = currentPayloadScope();
      const key = this.#key(id);
      if (!scope) {
        await writeRows([], [{ type: this.name, id: key }], []);
        return;
      }
      // One statement does not touch a row twice: a consume of it waiting goes first.
      if (scope.consuming(this.name, key)) await scope.flush();
      scope.destroy(this.name, key, writeRows);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      const scope = currentPayloadScope();
      await scope?.flush();
      await db('oidc_payloads').where({ grant_id: grantId }).delete();
      scope?.revoked(grantId);
    }
  };

  /**
   * Upserts and deletes of payload rows, in one statement (the keys of the two never meet).
   * With consumes, the statement consumes them first and upserts and deletes only if every one
   * matched; false when one did not, and then it wrote nothing.
   */
  async function writeRows(
    upserts: PayloadRow[],
    destroys: Array<{ type: string; id: string }>,
    consumes: Array<{ type: string; id: string }>,
  ): Promise<boolean | undefined> {
    if (consumes.length > 0) return consumeAndWrite(upserts, destroys, consumes);
    const del =
      destroys.length > 0
        ? db('oidc_payloads')
            .whereIn(
              ['type', 'id'],
              destroys.map((d) => [d.type, d.id]),
            )
            .delete()
            .toSQL()
        : undefined;
    const insert =
      upserts.length > 0
        ? db('oidc_payloads')
            .insert(upserts)
            .onConflict(['type', 'id'])
            .merge(['payload', 'grant_id', 'uid', 'user_code', 'expires_at'])
            .toSQL()
        : undefined;
    const only = del ?? insert;
    if (del && insert)
      await send(`WITH gone AS (${del.sql}) ${insert.sql}`, [...del.bindings, ...insert.bindings]);
    else if (only) await send(only.sql, [...only.bindings]);
    return undefined;
  }

  /**
   * The consumes, then the upserts and deletes guarded by them: every part sees the same
   * `consumed` rows, so either all of it is written or (a concurrent request consumed one of
   * the rows first; its UPDATE waits for that one's commit and then matches nothing) none.
   */
  async function consumeAndWrite(
    upserts: PayloadRow[],
    destroys: Array<{ type: string; id: string }>,
    consumes: Array<{ type: string; id: string }>,
  ): Promise<boolean> {
    const keys = (rows: Array<{ type: string; id: string }>) => rows.map(() => '(?, ?)').join(', ');
    const pairs = (rows: Array<{ type: string; id: string }>) => rows.flatMap((r) => [r.type, r.id]);
    const all = `(SELECT count(*) FROM consumed) = ${consumes.length}`;
    const parts = [
      `consumed AS (UPDATE oidc_payloads SET consumed_at = CURRENT_TIMESTAMP
         WHERE (type, id) IN (${keys(consumes)}) AND consumed_at IS NULL RETURNING 1)`,
    ];
    const bindings: Knex.RawBinding[] = pairs(consumes);
    if (destroys.length > 0) {
      parts.push(`gone AS (DELETE FROM oidc_payloads WHERE (type, id) IN (${keys(destroys)}) AND ${all})`);
      bindings.push(...pairs(destroys));
    }
    if (upserts.length > 0) {
      const values = upserts
        .map(() => '(?::varchar, ?::varchar, ?::jsonb, ?::varchar, ?::varchar, ?::varchar, ?::timestamptz)')
        .join(', ');
      parts.push(
        `written AS (INSERT INTO oidc_payloads (type, id, payload, grant_id, uid, user_code, expires_at)
           SELECT * FROM (VALUES ${values}) AS v WHERE ${all}
           ON CONFLICT (type, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
             uid = excluded.uid, user_code = excluded.user_code, expires_at = excluded.expires_at)`,
      );
      for (const r of upserts)
        bindings.push(r.type, r.id, r.payload, r.grant_id, r.uid, r.user_code, r.expires_at);
    }
    const rows = await send<{ matched: boolean }>(
      `WITH ${parts.join(', ')} SELECT ${all} AS matched`,
      bindings,
    );
    return rows[0]?.matched === true;
  }

  /**
   * At the token endpoint oidc-provider reads the code, then its session and its grant: the
   * three come back in one statement, the other two kept for the rest of the request.
   */
  async function findCodeWithItsGrant(key: string, scope: PayloadScope): Promise<AdapterPayload | undefined> {
    const live = '(p.expires_at IS NULL OR p.expires_at > CURRENT_TIMESTAMP)';
    const rows = await send<StoredRow>(
      `WITH c AS (SELECT p.* FROM oidc_payloads p WHERE p.type = 'AuthorizationCode' AND p.id = ? AND ${live})
       SELECT c.type, c.id, c.uid, c.grant_id, c.expires_at, c.payload::text AS payload, c.consumed_at FROM c
       UNION ALL
       SELECT p.type, p.id, p.uid, p.grant_id, p.expires_at, p.payload::text AS payload, p.consumed_at FROM oidc_payloads p, c
        WHERE ((p.type = 'Grant' AND p.id = c.payload->>'grantId')
            OR (p.type = 'Session' AND p.uid = c.payload->>'sessionUid')) AND ${live}`,
      [key],
    );
    let code: AdapterPayload | undefined;
    for (const row of rows) {
      if (row.type === 'AuthorizationCode') code = payloadOf(row.type, row, scope);
      else keepAlong(scope, row);
    }
    return code;
  }

  return guardMethods(KnexAdapter, guardStore);
}

/** Deletes expired rows; returns how many. Runs on a timer in `start`. */
export async function sweepExpired(db: Knex): Promise<number> {
  return db('oidc_payloads').where('expires_at', '<', db.fn.now()).delete();
}
