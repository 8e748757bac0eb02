// The delivery worker: claims due outbox jobs under a lease, delivers them through the
// target format outside any transaction, and records each outcome only while it still holds
// the lease. Several replicas share one store; a worker killed mid-delivery leaves a lease
// that expires, and the job is delivered again (the target's duplicate answer keeps that safe).
import pg from 'pg';
import type { Services } from '../services.ts';
import type { DeliveryResult } from '../target/types.ts';
import { type ClaimedJob, createDeliveryQueries, type Outcome } from './delivery-queries.ts';
import { OUTBOX_CHANNEL, OUTBOX_STATUSES, openRow } from './outbox.ts';

export interface WorkerOptions {
  /**
   * How long a claim holds a job. It must outlast one delivery, so the default is twice
   * target.timeout_ms plus 5 s; a shorter lease risks a second delivery of a slow job
   * (harmless thanks to already_exists, but wasteful).
   */
  leaseMs?: number | undefined;
  /** How long stop() waits for deliveries in flight. Default config.shutdown_timeout_ms. */
  drainTimeoutMs?: number | undefined;
  /** Run the claim loop (false: only runOnce() delivers). Default true. */
  loop?: boolean | undefined;
  /** LISTEN for new jobs on PostgreSQL. Default true. */
  listen?: boolean | undefined;
}

export interface DeliveryWorker {
  /** Stops claiming, waits (bounded) for deliveries in flight, closes the LISTEN connection. */
  stop(): Promise<void>;
  /** Claims one batch of due jobs and delivers it; resolves to the number of jobs processed. */
  runOnce(): Promise<number>;
  /** Claims now instead of at the next poll. */
  wake(): void;
}

/** Full jitter: a uniform delay in [0, min(max, base · 2^(attempt-1))). */
export function backoffDelay(
  attempt: number,
  worker: { base_delay_ms: number; max_delay_ms: number },
  random: () => number = Math.random,
): number {
  const exp = Math.min(
    worker.max_delay_ms,
    worker.base_delay_ms * 2 ** Math.max(0, Math.min(attempt - 1, 40)),
  );
  return Math.floor(random() * exp);
}

const DEFAULT_LEASE_EXTRA_MS = 5000;
const ABORT_GRACE_MS = 2000;
const RECONNECT_MIN_MS = 500;
const DEPTH_MIN_INTERVAL_MS = 1000;
/** Shown in pg_stat_activity, so an operator can tell the worker's LISTEN connection apart. */
export const LISTEN_APPLICATION_NAME = 'oidc-bridge-outbox-listen';
const RECONNECT_MAX_MS = 30_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export function startDeliveryWorker(services: Services, opts: WorkerOptions = {}): DeliveryWorker {
  const { config, store, logger, metrics, box, audit, target } = services;
  const log = logger.child({ component: 'delivery-worker' });
  const queries = createDeliveryQueries(store.db);
  const leaseMs = opts.leaseMs ?? target.timeoutMs * 2 + DEFAULT_LEASE_EXTRA_MS;
  const drainTimeoutMs = opts.drainTimeoutMs ?? config.shutdown_timeout_ms;
  const { batch, poll_interval_ms: pollMs, max_attempts: maxAttempts } = config.worker;

  const abort = new AbortController();
  const inFlight = new Set<Promise<number>>();
  let stopping = false;
  let stopped: Promise<void> | undefined;
  let wakeRequested = false;
  let wakeSleeper: (() => void) | undefined;
  let listener: pg.Client | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let reconnectDelay = RECONNECT_MIN_MS;

  function wake(): void {
    wakeRequested = true;
    wakeSleeper?.();
  }

  function idle(ms: number): Promise<void> {
    if (wakeRequested || stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeSleeper = undefined;
        resolve();
      }
      wakeSleeper = done;
    });
  }

  let depthAt = 0;
  async function refreshDepth(): Promise<void> {
    // Back-to-back batches would otherwise count the whole outbox after every batch.
    if (Date.now() - depthAt < Math.max(pollMs, DEPTH_MIN_INTERVAL_MS)) return;
    depthAt = Date.now();
    const counts = await queries.countByStatus();
    for (const status of OUTBOX_STATUSES) metrics.outboxJobs.set({ status }, counts[status]);
  }

  function toOutcome(
    job: ClaimedJob,
    r: DeliveryResult,
  ): Outcome & { audit?: 'success' | 'failure'; ended: boolean } {
    switch (r.outcome) {
      case 'delivered':
        return {
          status: 'delivered',
          reason: r.reason,
          lastError: null,
          eraseSecret: true,
          targetRef: r.targetRef,
          audit: 'success',
          ended: true,
        };
      case 'conflict':
        return {
          status: 'conflict',
          reason: r.reason,
          lastError: r.detail,
          eraseSecret: true,
          audit: 'failure',
          ended: true,
        };
      case 'invalid':
      case 'failed':
        // Kept: an operator may fix the mapping or the target and retry with the same form.
        return {
          status: 'failed',
          reason: r.reason,
          lastError: r.detail,
          eraseSecret: false,
          audit: 'failure',
          ended: false,
        };
      case 'skipped':
        return { status: 'skipped', reason: r.reason, lastError: null, eraseSecret: true, ended: true };
      case 'retry': {
        if (r.reason === 'interrupted') {
          // Shutdown is not the job's fault: released at once for another replica.
          return {
            status: 'pending',
            reason: 'retry',
            lastError: r.detail,
            eraseSecret: false,
            retryInMs: 0,
            refundAttempt: true,
            ended: false,
          };
        }
        if (r.reason === 'rate_limited') {
          // The target pacing us is no failure of the job: no attempt is spent.
          const wait = Math.max(r.retryAfterMs ?? 0, backoffDelay(1, config.worker));
          return {
            status: 'pending',
            reason: 'retry',
            lastError: r.detail,
            eraseSecret: false,
            retryInMs: wait,
            refundAttempt: true,
            audit: 'failure',
            ended: false,
          };
        }
        if (job.attempts >= maxAttempts) {
          return {
            status: 'dead',
            reason: 'dead',
            lastError: `gave up after ${job.attempts} attempts: ${r.detail}`,
            eraseSecret: true,
            // Kept for `migration retry --dead`: a re-read of the legacy row is not always possible.
            keepRowCopy: true,
            audit: 'failure',
            ended: true,
          };
        }
        return {
          status: 'pending',
          reason: 'retry',
          lastError: r.detail,
          eraseSecret: false,
          retryInMs: backoffDelay(job.attempts, config.worker),
          audit: 'failure',
          ended: false,
        };
      }
    }
  }

  async function deliverOne(job: ClaimedJob): Promise<void> {
    let result: DeliveryResult;
    try {
      result = await target.deliver(
        {
          id: job.id,
          sub: job.sub,
          kind: job.kind,
          payload: job.payload,
          row: openRow(job.rowData, job.payload, box),
          secret: job.secret === null ? null : box.open(job.secret),
          targetRef: job.targetRef,
          claims: job.claims,
          attempts: job.attempts,
        },
        abort.signal,
      );
    } catch (err) {
      // A bug in building the payload must not kill the worker; it counts as a failed attempt.
      log.error({ job: job.id, err: { message: (err as Error).message } }, 'delivery threw');
      result = {
        outcome: 'retry',
        reason: 'unavailable',
        detail: `internal error: ${(err as Error).message}`,
      };
    }
    const outcome = toOutcome(job, result);
    const held = await queries.finish(job, outcome);
    if (!held) {
      // The lease expired and another worker has the job now; its outcome is the one kept.
      log.warn({ job: job.id, outcome: result.outcome }, 'lease lost before the outcome was recorded');
      return;
    }
    const label = outcome.status === 'dead' ? 'dead' : result.outcome;
    metrics.deliveries.inc({ outcome: label });
    if (outcome.ended) metrics.deliveryAttempts.observe(job.attempts);
    const facts = {
      job: job.id,
      sub: job.sub,
      attempts: job.attempts,
      status: outcome.status,
      reason: outcome.reason,
    };
    if (outcome.status === 'delivered') log.info(facts, 'delivered');
    else if (outcome.status === 'pending')
      log.info(
        { ...facts, error: outcome.lastError, retry_in_ms: outcome.retryInMs },
        'delivery will be retried',
      );
    else log.warn({ ...facts, error: outcome.lastError }, 'delivery ended without success');
    if (outcome.audit) {
      await audit.record({
        type: 'delivery',
        outcome: outcome.audit,
        reason: outcome.reason,
        sub: job.sub,
        actor: 'worker',
        details: {
          job_id: job.id,
          attempts: job.attempts,
          status: outcome.status,
          ...(result.outcome === 'retry' ? { cause: result.reason } : {}),
          ...(outcome.lastError ? { error: outcome.lastError } : {}),
        },
      });
    }
  }

  let started = false;
  async function claimAndDeliver(): Promise<number> {
    if (stopping || !target.delivers) return 0;
    if (!started) {
      // What the target says of itself (SCIM's ServiceProviderConfig) decides what it is sent.
      await target.start?.(abort.signal);
      started = true;
    }
    const jobs = await queries.claim(batch, leaseMs);
    if (jobs.length === 0) return 0;
    const results = await Promise.allSettled(jobs.map(deliverOne));
    for (const r of results) {
      if (r.status === 'rejected') {
        // Recording failed (store unreachable): the lease expires and the job comes back.
        log.error({ err: { message: (r.reason as Error).message } }, 'could not record a delivery outcome');
      }
    }
    return jobs.length;
  }

  function runOnce(): Promise<number> {
    const p = claimAndDeliver();
    inFlight.add(p);
    const forget = () => inFlight.delete(p);
    p.then(forget, forget);
    return p;
  }

  async function loop(): Promise<void> {
    let failures = 0;
    while (!stopping) {
      wakeRequested = false;
      let processed = 0;
      try {
        await refreshDepth();
        processed = await runOnce();
        failures = 0;
      } catch (err) {
        failures += 1;
        log.warn(
          { err: { message: (err as Error).message }, failures },
          'delivery loop failed; will try again',
        );
      }
      if (stopping) break;
      // A full batch suggests more are due: claim again at once.
      if (processed >= batch && failures === 0) continue;
      await idle(failures > 0 ? Math.min(pollMs * 2 ** failures, 30_000) : pollMs);
    }
  }

  function scheduleReconnect(): void {
    if (stopping || reconnectTimer) return;
    const delay = reconnectDelay;
    reconnectDelay = Math.min(reconnectDelay * 2, RECONNECT_MAX_MS);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void connectListener();
    }, delay);
    reconnectTimer.unref();
  }

  async function connectListener(): Promise<void> {
    if (stopping || !store.url) return;
    const client = new pg.Client({ connectionString: store.url, application_name: LISTEN_APPLICATION_NAME });
    let dropped = false;
    const drop = (why: string) => {
      if (dropped) return;
      dropped = true;
      if (listener === client) listener = undefined;
      if (stopping) return;
      client.end().catch(() => {});
      log.warn({ why }, 'LISTEN connection lost; polling until it is back');
      scheduleReconnect();
    };
    client.on('notification', (msg) => {
      if (msg.channel === OUTBOX_CHANNEL) wake();
    });
    client.on('error', (err) => drop(err.message));
    client.on('end', () => drop('connection ended'));
    try {
      await client.connect();
      await client.query(`LISTEN "${OUTBOX_CHANNEL}"`);
      if (stopping) {
        dropped = true;
        await client.end().catch(() => {});
        return;
      }
      listener = client;
      reconnectDelay = RECONNECT_MIN_MS;
      // Jobs may have arrived while the connection was down.
      wake();
    } catch (err) {
      drop((err as Error).message);
    }
  }

  let loopDone: Promise<void> = Promise.resolve();
  if (opts.loop !== false) {
    if (!target.delivers) log.info('target.type is none: the worker delivers nothing');
    loopDone = loop();
    if (store.kind === 'postgres' && opts.listen !== false && target.delivers) void connectListener();
  }

  return {
    runOnce,
    wake,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        wakeSleeper?.();
        if (reconnectTimer) clearTimeout(reconnectTimer);
        const everything = () => Promise.allSettled([loopDone, ...inFlight]).then(() => true);
        const drained = await Promise.race([everything(), sleep(drainTimeoutMs).then(() => false)]);
        if (!drained) {
          log.warn({ in_flight: inFlight.size }, 'deliveries still in flight at shutdown; interrupting them');
          abort.abort();
          await Promise.race([everything(), sleep(ABORT_GRACE_MS)]);
        }
        const l = listener;
        listener = undefined;
        if (l) await l.end().catch(() => {});
      })();
      return stopped;
    },
  };
}
