// start: serve the provider (and, unless --no-worker, the delivery worker) until SIGTERM or
// SIGINT, then stop accepting connections, finish the requests in flight and close pools.

import { createLogger } from '../../logger.ts';
import { startConfiguredSweep } from '../../migration/legacy-sync.ts';
import { startDeliveryWorker } from '../../migration/worker.ts';
import { startTracing } from '../../tracing.ts';
import { configFrom } from '../context.ts';
import { type Command, positiveInt } from '../framework.ts';

const usage = `Usage: oidc-bridge start [--config FILE] [--port N] [--no-worker]

  --port N       listen on this port instead of the configured one
  --no-worker    do not run the delivery worker in this process`;

export const startCommand: Command = {
  name: 'start',
  summary: 'serve the provider (and the delivery worker)',
  usage,
  options: { port: { type: 'string' }, 'no-worker': { type: 'boolean' } },
  async run({ values }, io) {
    const config = configFrom(values, io);
    const port = values.port === undefined ? config.port : positiveInt(values, 'port', usage, config.port);
    const tracing = await startTracing(config.tracing);
    const logger = createLogger({
      level: config.log_level,
      mixin: tracing.enabled ? tracing.logFields : undefined,
    });
    // Listening for the signal before anything starts: a SIGTERM that arrives while the
    // store migrates or the worker loads must still mean "stop cleanly", not "die".
    const signal = waitForSignal();
    // Loaded here, not at the top: the other commands need neither koa nor oidc-provider.
    const { createBridge } = await import('../../app.ts');
    const bridge = await createBridge({ ...config, port }, { logger, tracing });
    const { url } = await bridge.listen(port, config.host);
    logger.info(
      { url, issuer: config.issuer, store: bridge.store.kind, legacy: config.legacy ? 'configured' : 'none' },
      'oidc-bridge listening',
    );
    if (config.admin.enabled) await bridge.listenAdmin();
    const worker = values['no-worker'] ? undefined : startDeliveryWorker(bridge);
    if (worker) bridge.onStop(() => worker.stop());
    if (worker) {
      const sweep = startConfiguredSweep({
        ...bridge,
        db: bridge.store.db,
        shortLived: bridge.store.shortLived,
      });
      bridge.onStop(() => sweep.stop());
    }
    logger.info({ signal: await signal }, 'shutting down');
    // Everything below is bounded by shutdown_timeout_ms; a stop that still hangs well
    // past it (a pool that never closes) must not keep a replica half-alive forever.
    const hang = setTimeout(() => {
      logger.error(
        { shutdown_timeout_ms: config.shutdown_timeout_ms },
        'shutdown did not finish in time; exiting',
      );
      logger.flush?.();
      process.exit(1);
    }, config.shutdown_timeout_ms + 5000);
    hang.unref();
    await bridge.stop();
    await tracing.shutdown();
    clearTimeout(hang);
    logger.info('stopped');
    logger.flush?.();
    return 0;
  },
};

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const done = (sig: string) => () => resolve(sig);
    process.once('SIGTERM', done('SIGTERM'));
    process.once('SIGINT', done('SIGINT'));
  });
}
