// One request's view of oidc-provider's payload rows, so that a login costs few round trips:
// a row read once is not read again in the same request, a row written is found from here,
// and the writes of a request (its upserts and deletes) go to the store together, in one
// statement, before its answer is sent. A consume is part of that statement too: the statement
// consumes first and writes the rest only if every consume matched, so a request that lost a
// race for a code writes nothing. Anything the scope cannot answer (a row it does not hold, a
// revoke) first writes what is pending, consumes included, then asks the store, so the store
// always sees the request's writes in the order they were made. Outside a request, and once its
// answer has gone, every call goes straight through.
import type { Context } from 'koa';
import requestContext from 'oidc-provider/lib/helpers/als.js';

/** A row as the knex adapter stores it. */
export interface PayloadRow {
  type: string;
  id: string;
  payload: string;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  expires_at: Date | null;
}

/** The models oidc-provider ever consumes; every other one's consumed state is always none. */
const CONSUMABLE = new Set([
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PushedAuthorizationRequest',
  'PreAuthorizedCode',
]);

interface Entry {
  type: string;
  id: string;
  /** The payload as JSON; null once deleted. */
  json: string | null;
  uid: string | null;
  grantId: string | null;
  expiresAt: number | null;
  /** When it was consumed (epoch seconds), null when not; undefined when this request never saw it. */
  consumed: number | null | undefined;
  pending?: 'upsert' | 'destroy';
  row?: PayloadRow;
}

/** What a scope found for a lookup: a payload, known absent, or nothing known (ask the store). */
export type ScopeAnswer = { payload: Record<string, unknown> } | { absent: true } | undefined;

/**
 * Writes upserts and deletes in one statement. With consumes, the statement consumes them first
 * and writes the rest only if all of them matched; it answers false when one did not (a
 * concurrent request consumed it first), and then nothing at all was written.
 */
export type FlushWrites = (
  upserts: PayloadRow[],
  destroys: Array<{ type: string; id: string }>,
  consumes: Array<{ type: string; id: string }>,
) => Promise<boolean | undefined>;

interface PendingConsume {
  type: string;
  id: string;
  /** The error the request answers with when another one consumed the row first. */
  refused: () => Error;
}

export class PayloadScope {
  readonly #entries = new Map<string, Entry>();
  #consumes: PendingConsume[] = [];
  /** A consume of this request was refused: nothing of the request is written from then on. */
  #refused = false;
  #flusher: FlushWrites | undefined;
  #closed = false;

  /** Still collecting writes: the request's answer has not been sent. */
  get open(): boolean {
    return !this.#closed;
  }

  #live(e: Entry): e is Entry & { json: string } {
    return e.json !== null && (e.expiresAt === null || e.expiresAt > Date.now());
  }

  #answer(e: Entry): ScopeAnswer {
    if (!this.#live(e)) return { absent: true };
    if (e.consumed === undefined) return undefined;
    const payload = JSON.parse(e.json) as Record<string, unknown>;
    if (e.consumed !== null) payload.consumed = e.consumed;
    return { payload };
  }

  find(type: string, id: string): ScopeAnswer {
    const e = this.#entries.get(`${type}\0${id}`);
    return e ? this.#answer(e) : undefined;
  }

  /** The payload as stored, JSON, when the scope holds it live and it was never consumed. */
  findJson(type: string, id: string): string | undefined {
    const e = this.#entries.get(`${type}\0${id}`);
    return e && this.#live(e) && e.consumed === null ? e.json : undefined;
  }

  /** By uid: a row this request holds with that uid. */
  findByUid(type: string, uid: string): ScopeAnswer {
    for (const e of this.#entries.values()) if (e.type === type && e.uid === uid) return this.#answer(e);
    return undefined;
  }

  /**
   * A row read from the store, with its consumed state. `stored` is its payload: as the JSON it
   * is stored as (which holds no consumed state of its own), or as an object, which is written
   * out without one.
   */
  remember(
    row: { type: string; id: string; uid: string | null; grantId: string | null; expiresAt: number | null },
    stored: string | Record<string, unknown>,
    consumed: number | null,
  ): void {
    const key = `${row.type}\0${row.id}`;
    if (this.#entries.get(key)?.pending) return;
    let json: string;
    if (typeof stored === 'string') json = stored;
    else {
      const { consumed: _c, ...rest } = stored;
      json = JSON.stringify(rest);
    }
    this.#entries.set(key, { ...row, json, consumed });
  }

  /**
   * Whether a write must reach the store first: a delete of the same row is pending, or a
   * consume of it (one statement does not touch a row twice).
   */
  mustFlushBefore(type: string, id: string): boolean {
    return this.#entries.get(`${type}\0${id}`)?.pending === 'destroy' || this.consuming(type, id);
  }

  /** Whether a consume of the row waits to be sent. */
  consuming(type: string, id: string): boolean {
    return this.#consumes.some((c) => c.type === type && c.id === id);
  }

  /** Whether a consume must reach the store first: a write of the same row is pending. */
  mustFlushBeforeConsume(type: string, id: string): boolean {
    return this.#entries.get(`${type}\0${id}`)?.pending !== undefined || this.consuming(type, id);
  }

  /**
   * A consume, sent with the request's next statement (which writes nothing of the request
   * unless it matches). The rest of the request sees the row as consumed from now on.
   */
  consume(type: string, id: string, at: number, flusher: FlushWrites, refused: () => Error): void {
    this.#flusher = flusher;
    this.#consumes.push({ type, id, refused });
    this.consumed(type, id, at);
  }

  upsert(row: PayloadRow, flusher: FlushWrites): void {
    this.#flusher = flusher;
    const key = `${row.type}\0${row.id}`;
    const before = this.#entries.get(key);
    this.#entries.set(key, {
      type: row.type,
      id: row.id,
      json: row.payload,
      uid: row.uid,
      grantId: row.grant_id,
      expiresAt: row.expires_at ? row.expires_at.getTime() : null,
      // An upsert keeps the row's consumed state: known if this request saw it, or if the
      // model is one that is never consumed.
      consumed: CONSUMABLE.has(row.type) ? before?.consumed : null,
      pending: 'upsert',
      row,
    });
  }

  destroy(type: string, id: string, flusher: FlushWrites): void {
    this.#flusher = flusher;
    const key = `${type}\0${id}`;
    const before = this.#entries.get(key);
    this.#entries.set(key, {
      type,
      id,
      json: null,
      uid: before?.uid ?? null,
      grantId: before?.grantId ?? null,
      expiresAt: null,
      consumed: null,
      pending: 'destroy',
    });
  }

  /** After a consume in the store. */
  consumed(type: string, id: string, at: number): void {
    const e = this.#entries.get(`${type}\0${id}`);
    if (e) e.consumed = at;
  }

  /** After a revoke in the store: this request's copies of the grant's rows are gone too. */
  revoked(grantId: string): void {
    for (const [key, e] of this.#entries) if (e.grantId === grantId) this.#entries.delete(key);
  }

  /**
   * Sends the pending writes, in one statement. Flushes run one after another, each sending
   * what is pending when its turn comes: writes made while an earlier one is on the wire (a
   * Grant's destroy started beside its tokens' revokes) go with the next, never dropped, and
   * no row is sent twice out of order.
   */
  flush(): Promise<void> {
    // Nothing to send and nothing on the wire: the store already holds what this request wrote.
    // Answered at once, so that lookups started together (introspection's three) still reach
    // the store in one tick, and one statement, instead of queueing behind each other's turn.
    if (this.#inFlight === 0 && this.#consumes.length === 0 && !this.#hasPending()) return IDLE;
    this.#inFlight++;
    const turn = (this.#flushing ?? IDLE).then(() => this.#send());
    this.#flushing = turn
      .catch(() => {})
      .finally(() => {
        this.#inFlight--;
      });
    return turn;
  }

  /** The flush on the wire, if any; none is made for a request that writes nothing. */
  #flushing: Promise<void> | undefined;
  #inFlight = 0;

  #hasPending(): boolean {
    for (const e of this.#entries.values()) if (e.pending) return true;
    return false;
  }

  async #send(): Promise<void> {
    const consumes = this.#consumes;
    this.#consumes = [];
    if (this.#refused) {
      this.#dropPending();
      return;
    }
    const sent: Array<[string, Entry]> = [];
    const upserts: PayloadRow[] = [];
    const destroys: Array<{ type: string; id: string }> = [];
    for (const [key, e] of this.#entries) {
      if (e.pending === 'upsert' && e.row) upserts.push(e.row);
      else if (e.pending === 'destroy') destroys.push({ type: e.type, id: e.id });
      else continue;
      sent.push([key, e]);
    }
    if (sent.length === 0 && consumes.length === 0) return;
    let matched: boolean | undefined;
    try {
      matched = await this.#flusher!(
        upserts,
        destroys,
        consumes.map(({ type, id }) => ({ type, id })),
      );
    } catch (err) {
      // Not written. A consume is never sent again: oidc-provider went on past it, and the
      // request answers with this error (an outage's 503), so a later send would spend a code
      // or a refresh token whose client was told to retry. With it goes the rest of the
      // request's writes, as with a refusal. Without one, the writes stay pending.
      if (consumes.length > 0) {
        this.#refused = true;
        this.#dropPending();
      }
      throw err;
    }
    if (matched === false) {
      // Another request consumed first and the statement wrote nothing. What it carried is
      // dropped, and so is anything the request writes after (written meanwhile included):
      // the store is asked again for those rows should the request read them.
      this.#refused = true;
      for (const [key, e] of sent) if (this.#entries.get(key) === e) this.#entries.delete(key);
      this.#dropPending();
      throw consumes[0]!.refused();
    }
    // Only what this statement carried is written; an entry replaced since stays pending.
    for (const [key, e] of sent) {
      if (this.#entries.get(key) !== e) continue;
      e.pending = undefined;
      e.row = undefined;
    }
  }

  #dropPending(): void {
    this.#consumes = [];
    for (const [key, e] of this.#entries) if (e.pending) this.#entries.delete(key);
  }

  /** Sends what is pending and takes no more writes: the answer is about to go out. */
  close(): Promise<void> {
    this.#closed = true;
    return this.flush();
  }
}

const IDLE: Promise<void> = Promise.resolve();

// Which scope a call belongs to is found through oidc-provider's own AsyncLocalStorage, whose
// store is the request's koa context (its routes run inside it): a scope is kept by the object
// its work runs under, a request's context or a key of its own. Every AsyncLocalStorage in use
// adds a property to every promise the process makes: with a second one for the scopes, an
// introspection allocated about 5 KB more (BENCHMARKS.md, "Promises and collections").
const scopes = new WeakMap<object, PayloadScope>();

function runIn<T>(scope: PayloadScope, key: object, fn: () => Promise<T>): Promise<T> {
  scopes.set(key, scope);
  return requestContext.run(key, fn);
}

/** The open scope of the request this call serves, if any. */
export function currentPayloadScope(): PayloadScope | undefined {
  const key = requestContext.getStore();
  const scope = key === undefined ? undefined : scopes.get(key);
  return scope?.open ? scope : undefined;
}

/**
 * Runs `fn` in a scope of its own and sends its writes when it is done. What it wrote before
 * failing is sent too, as it would have been without the scope.
 */
export async function runInPayloadScope<T>(fn: () => Promise<T>): Promise<T> {
  const scope = new PayloadScope();
  let result: T;
  try {
    result = await runIn(scope, {}, fn);
  } catch (err) {
    await scope.close().catch(() => {});
    throw err;
  }
  await scope.close();
  return result;
}

/**
 * Koa middleware: the request's handling runs in a scope of its own, and its writes reach the
 * store before its answer is sent. When they cannot, the answer (a redirect that names a code
 * or a session never stored) is not sent: `unwritten` answers instead, or throws.
 */
export function payloadScope(
  unwritten: (ctx: Context, err: unknown) => Promise<void>,
): (ctx: Context, next: () => Promise<unknown>) => Promise<void> {
  return async (ctx, next) => {
    // runInPayloadScope's work, inline: this runs for every request.
    const scope = new PayloadScope();
    let handled = false;
    try {
      try {
        // The request's own context, which oidc-provider's routes run under as well.
        await runIn(scope, ctx, next);
      } catch (err) {
        await scope.close().catch(() => {});
        throw err;
      }
      handled = true;
      await scope.close();
    } catch (err) {
      if (!handled) throw err;
      ctx.remove('Location');
      ctx.res.removeHeader('Set-Cookie');
      await unwritten(ctx, err);
    }
  };
}
