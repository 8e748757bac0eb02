// worker: the delivery worker on its own, for deployments that run it apart from the
// provider (`start --no-worker` elsewhere). Runs until SIGTERM or SIGINT and then drains;
// --once delivers what is due now and exits, for cron-style runs and checks.
import { createLegacySource } from '../../legacy/source.ts';
import { createLogger } from '../../logger.ts';
import { createDeliveryQueries } from '../../migration/delivery-queries.ts';
import { startConfiguredSweep } from '../../migration/legacy-sync.ts';
import { startDeliveryWorker } from '../../migration/worker.ts';
import { createServices } from '../../services.ts';
import { createStore, storeOptions } from '../../store/db.ts';
import { configFrom } from '../context.ts';
import type { Command } from '../framework.ts';

const usage = `Usage: oidc-bridge worker [--config FILE] [--once]

  Delivers migrated users to the target (the outbox) until SIGTERM.
  --once    deliver the jobs due now, then exit`;

export const workerCommand: Command = {
  name: 'worker',
  summary: 'run the delivery worker alone (until SIGTERM; --once: one pass)',
  usage,
  options: { once: { type: 'boolean' } },
  async run({ values }, io) {
    const config = configFrom(values, io);
    const logger = createLogger({ level: config.log_level });
    const store = createStore(storeOptions(config));
    try {
      await store.migrate();
      const services = createServices(config, { store, logger });
      if (values.once) {
        const worker = startDeliveryWorker(services, { loop: false });
        // Jobs due at the start, each once: a job retried during the pass waits for the next run.
        const due = await createDeliveryQueries(store.db).countDue();
        let processed = 0;
        while (processed < due) {
          const n = await worker.runOnce();
          if (n === 0) break;
          processed += n;
        }
        await worker.stop();
        io.out(`Processed ${processed} job${processed === 1 ? '' : 's'}.`);
        return 0;
      }
      const worker = startDeliveryWorker(services);
      // The coexistence sweep runs beside the deliveries until cut-over.
      const legacy = config.legacy ? createLegacySource(config.legacy, { logger }) : undefined;
      const sweep = startConfiguredSweep({ ...services, db: store.db, shortLived: store.shortLived, legacy });
      logger.info({ target: config.target.type, store: store.kind }, 'delivery worker running');
      const signal = await new Promise<string>((resolve) => {
        process.once('SIGTERM', () => resolve('SIGTERM'));
        process.once('SIGINT', () => resolve('SIGINT'));
      });
      logger.info({ signal }, 'delivery worker stopping');
      await Promise.all([worker.stop(), sweep.stop()]);
      await legacy?.close();
      logger.info('delivery worker stopped');
      logger.flush?.();
      return 0;
    } finally {
      await store.close();
    }
  },
};
