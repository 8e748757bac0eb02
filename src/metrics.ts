// Prometheus metrics (prom-client), one registry per bridge instance so that tests and
// several bridges in one process do not share counters. Served on the admin listener's
// /metrics. Names follow the Prometheus conventions: the unit in the name, `_total` on
// counters, `_timestamp_seconds` for moments; `promtool check metrics` passes on them.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { VERSION } from './version.ts';

export function createMetrics(opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry, prefix: 'oidc_bridge_' });
    // Gauges named like counters; the same figures remain by type in nodejs_active_*.
    for (const name of ['active_handles_total', 'active_requests_total', 'active_resources_total']) {
      registry.removeSingleMetric(`oidc_bridge_nodejs_${name}`);
    }
  }
  new Gauge({
    name: 'oidc_bridge_build_info',
    help: 'Always 1; the version of the running bridge in a label.',
    labelNames: ['version'] as const,
    registers: [registry],
  }).set({ version: VERSION }, 1);
  return {
    registry,
    logins: new Counter({
      name: 'oidc_bridge_logins_total',
      help: 'Login attempts by outcome, source (bridge|legacy|none) and legacy hash scheme.',
      labelNames: ['outcome', 'source', 'scheme'] as const,
      registers: [registry],
    }),
    hashVerifySeconds: new Histogram({
      name: 'oidc_bridge_hash_verify_seconds',
      help: 'Time to verify one password, by scheme.',
      labelNames: ['scheme'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    unusableHashes: new Counter({
      name: 'oidc_bridge_unusable_hashes_total',
      help: 'Stored legacy hashes the bridge could not use, by reason.',
      labelNames: ['reason', 'scheme'] as const,
      registers: [registry],
    }),
    legacyErrors: new Counter({
      name: 'oidc_bridge_legacy_errors_total',
      help: 'Errors talking to the legacy database, by code.',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    legacyLookupSeconds: new Histogram({
      name: 'oidc_bridge_legacy_lookup_seconds',
      help: 'Time to look one user up in the legacy database, including the wait for a slot.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    migrations: new Counter({
      name: 'oidc_bridge_migrations_total',
      help: 'Accounts created from a legacy row at login.',
      registers: [registry],
    }),
    throttled: new Counter({
      name: 'oidc_bridge_throttled_total',
      help: 'Login attempts refused by throttling, by limiter.',
      labelNames: ['limiter'] as const,
      registers: [registry],
    }),
    lockouts: new Counter({
      name: 'oidc_bridge_lockouts_total',
      help: 'Lockouts started, by what was locked out (identifier_ip, ip, identifier).',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    outboxJobs: new Gauge({
      name: 'oidc_bridge_outbox_jobs',
      help: 'Delivery jobs in the outbox by status, as last counted.',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    deliveries: new Counter({
      name: 'oidc_bridge_deliveries_total',
      help: 'Delivery attempts toward the target, by outcome.',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    deliveryAttempts: new Histogram({
      name: 'oidc_bridge_delivery_attempts',
      help: 'Attempts a delivery took before it ended (delivered, conflict or dead).',
      buckets: [1, 2, 3, 5, 8, 13, 21],
      registers: [registry],
    }),
    signingKeyCreated: new Gauge({
      name: 'oidc_bridge_signing_key_created_timestamp_seconds',
      help: 'When the signing key in use was created, by algorithm (Unix time).',
      labelNames: ['alg'] as const,
      registers: [registry],
    }),
    ready: new Gauge({
      name: 'oidc_bridge_ready',
      help: '1 when /readyz on the login port answers ready, else 0; checked at each scrape.',
      registers: [registry],
    }),
    readinessChecks: new Gauge({
      name: 'oidc_bridge_readiness_check',
      help: '1 when the named readiness check passes (store, legacy), else 0.',
      labelNames: ['check'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
