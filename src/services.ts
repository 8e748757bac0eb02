// The composition root: what the bridge, the delivery worker and the commands share, built
// once from the configuration and a store (the secret box, the audit trail, the metrics, the
// target format). Libraries receive these as arguments and build none of them themselves.
import type { Config } from './config/schema.ts';
import type { Logger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { type Audit, createAudit } from './security/audit.ts';
import { createSecretBox, type SecretBox } from './security/secret-box.ts';
import type { Store } from './store/db.ts';
import { createTargetFormat } from './target/registry.ts';
import type { TargetFormat } from './target/types.ts';

export interface Services {
  config: Config;
  store: Store;
  logger: Logger;
  metrics: Metrics;
  /** Seals secrets at rest with the key encryption key (a pass-through without one). */
  box: SecretBox;
  audit: Audit;
  target: TargetFormat;
}

export interface ServiceOptions {
  store: Store;
  logger: Logger;
  metrics?: Metrics | undefined;
}

export function createServices(config: Config, opts: ServiceOptions): Services {
  const { store, logger } = opts;
  const box = createSecretBox(config.key_encryption_key);
  return {
    config,
    store,
    logger,
    metrics: opts.metrics ?? createMetrics(),
    box,
    audit: createAudit(store.db, logger),
    target: createTargetFormat(config.target, { logger, box }),
  };
}
