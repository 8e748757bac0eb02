// The delivery side of a bench bridge: the commerce platform's reference import API as its
// target (in the bench process, over real HTTP), the outbox's depth and drain read from the
// store, and the tallies that tell whether each user was migrated and delivered exactly once.
import knexPkg, { type Knex } from 'knex';
import type { ReferenceDouble } from '../../src/target/reference.ts';
import { referenceFor } from '../../src/target/registry.ts';

/** The reference import API, which answers a repeated Idempotency-Key with the first answer. */
export async function startBenchTarget(): Promise<ReferenceDouble> {
  return (await referenceFor('commerce-import'))();
}

/** A small pool on the bench bridge's store, for the bench's own reads. */
export function openStore(url: string): Knex {
  return knexPkg.knex({ client: 'pg', connection: url, pool: { min: 0, max: 2 } });
}

/** Delivery jobs not yet delivered: pending, retrying or in flight. */
export async function outboxDepth(db: Knex): Promise<number> {
  const row = await db('outbox').where({ status: 'pending' }).count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

export interface Drain {
  drained: boolean;
  /** How long the outbox took to empty after the load stopped (or the timeout). */
  waitedMs: number;
  /** Jobs by status once drained or given up on. */
  byStatus: Record<string, number>;
}

/** Waits, bounded, until no job is pending; every job must then be delivered. */
export async function waitForDrain(db: Knex, timeoutMs = 60_000): Promise<Drain> {
  const started = Date.now();
  while ((await outboxDepth(db)) > 0 && Date.now() - started < timeoutMs)
    await new Promise((r) => setTimeout(r, 250));
  const rows = (await db('outbox').select('status').count({ n: '*' }).groupBy('status')) as Array<{
    status: string;
    n: number | string;
  }>;
  const byStatus = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  const undelivered = Object.entries(byStatus).some(([status, n]) => status !== 'delivered' && n > 0);
  return { drained: !undelivered, waitedMs: Date.now() - started, byStatus };
}

export interface MigrationTally {
  users: number;
  /** Bridge accounts of these users, and of how many distinct legacy ids. */
  accounts: number;
  distinctLegacyIds: number;
  /** Users with exactly one migration audit event and exactly one delivery job. */
  oneMigrationEvent: number;
  oneDeliveryJob: number;
  /** Every user has one account, one migration event and one job. */
  once: boolean;
}

const countBy = (rows: Array<{ k: string | null; n: number | string }>) =>
  new Map(rows.map((r) => [String(r.k), Number(r.n)]));

/** Counts, in the store, what the first logins of `legacyIds` wrote. */
export async function migrationTally(db: Knex, legacyIds: string[]): Promise<MigrationTally> {
  const accounts = countBy(
    await db('accounts')
      .whereIn('legacy_id', legacyIds)
      .select({ k: 'legacy_id' })
      .count({ n: '*' })
      .groupBy('legacy_id'),
  );
  const events = countBy(
    await db('audit_events')
      .where({ type: 'migration' })
      .select({ k: db.raw("details->>'legacy_id'") })
      .count({ n: '*' })
      .groupByRaw("details->>'legacy_id'"),
  );
  // The sub is the legacy id (legacy.sub is not uuid in the bench).
  const jobs = countBy(
    await db('outbox').whereIn('sub', legacyIds).select({ k: 'sub' }).count({ n: '*' }).groupBy('sub'),
  );
  const exactlyOne = (m: Map<string, number>) => legacyIds.filter((id) => m.get(id) === 1).length;
  const total = [...accounts.values()].reduce((a, b) => a + b, 0);
  const tally = {
    users: legacyIds.length,
    accounts: total,
    distinctLegacyIds: accounts.size,
    oneMigrationEvent: exactlyOne(events),
    oneDeliveryJob: exactlyOne(jobs),
  };
  return {
    ...tally,
    once:
      tally.accounts === tally.users &&
      exactlyOne(accounts) === tally.users &&
      tally.oneMigrationEvent === tally.users &&
      tally.oneDeliveryJob === tally.users,
  };
}

export interface DeliveryTally {
  users: number;
  /** Users the target holds, and how many of them it created exactly once. */
  held: number;
  createdOnce: number;
  /** Import requests it received, the distinct Idempotency-Keys among them, and the most keys one user's requests carried. */
  requests: number;
  idempotencyKeys: number;
  maxKeysPerUser: number;
  /** Requests repeating an earlier request's key: retries of one job, answered as the first was. */
  replays: number;
  /** Requests under a new key answered already_exists: a second job for a user the target holds. */
  alreadyExists: number;
  /** Every user created once, all of a user's requests under one key, and no second job. */
  once: boolean;
}

export function deliveryTally(double: ReferenceDouble, legacyIds: string[]): DeliveryTally {
  const requests = double.requests.filter((r) => r.legacyId !== undefined && legacyIds.includes(r.legacyId));
  const keysOf = new Map<string, Set<string>>();
  for (const r of requests) {
    const keys = keysOf.get(r.legacyId!) ?? new Set<string>();
    keys.add(r.idempotencyKey ?? '(none)');
    keysOf.set(r.legacyId!, keys);
  }
  const users = double.users();
  const held = legacyIds.filter((id) => users.has(id)).length;
  const createdOnce = legacyIds.filter((id) => double.creates.get(id) === 1).length;
  const maxKeysPerUser = Math.max(0, ...[...keysOf.values()].map((k) => k.size));
  // A request under a key seen before is a retry of the same job; a 409 under a new key is a
  // second job for one user.
  const seen = new Set<string | undefined>();
  let replays = 0;
  let alreadyExists = 0;
  for (const r of requests) {
    if (r.idempotencyKey !== undefined && seen.has(r.idempotencyKey)) replays++;
    else if (r.status === 409) alreadyExists++;
    seen.add(r.idempotencyKey);
  }
  return {
    users: legacyIds.length,
    held,
    createdOnce,
    requests: requests.length,
    idempotencyKeys: new Set(requests.map((r) => r.idempotencyKey)).size,
    maxKeysPerUser,
    replays,
    alreadyExists,
    once:
      held === legacyIds.length &&
      createdOnce === legacyIds.length &&
      maxKeysPerUser === 1 &&
      alreadyExists === 0,
  };
}
