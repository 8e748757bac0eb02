// Prometheus metrics (prom-client), one registry per bridge instance so that tests and
// several bridges in one process do not share counters. Served at /metrics.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export function createMetrics(opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'oidc_bridge_' });
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
    outboxDepth: new Gauge({
      name: 'oidc_bridge_outbox_depth',
      help: 'Delivery jobs by status.',
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
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
