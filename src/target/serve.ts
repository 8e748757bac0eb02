// `oidc-bridge reference-target`: one target's test double as a process of its own, for the
// demo, docker-compose and trying a bridge configuration before the real platform. It logs
// the `target` section that points a bridge at it, and stops on SIGTERM or SIGINT.
import { createLogger, type Logger } from '../logger.ts';
import type { ReferenceDouble } from './reference.ts';
import { referenceFor } from './registry.ts';

export interface ServeReferenceTargetOptions {
  /** The target type it stands in for. Default commerce-import. */
  type?: string | undefined;
  /** Default 4000. */
  port?: number | undefined;
  /** Default 127.0.0.1: an API that accepts passwords has no business on every interface. */
  host?: string | undefined;
  /** Bearer token every API request must carry. No default: no authentication. */
  token?: string | undefined;
  logger?: Logger | undefined;
}

export async function serveReferenceTarget(opts: ServeReferenceTargetOptions = {}): Promise<ReferenceDouble> {
  const logger = opts.logger ?? createLogger();
  const type = opts.type ?? 'commerce-import';
  const start = await referenceFor(type);
  const double = await start({
    port: opts.port ?? 4000,
    host: opts.host ?? '127.0.0.1',
    token: opts.token,
    logger,
  });
  const { headers: _headers, ...shown } = double.targetConfig;
  logger.info(
    { type, url: double.url, target: shown, auth: opts.token ? 'bearer' : 'none' },
    `reference target (${type}) listening on ${double.url}`,
  );

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      await double.close();
      logger.info('reference target stopped');
    })();
    return closing;
  };
  // Closing the server lets the event loop drain, so the process exits on its own.
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'reference target shutting down');
    close().catch((err: unknown) => {
      logger.error({ err }, 'reference target: close failed');
      process.exitCode = 1;
    });
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);

  return Object.assign(Object.create(double) as ReferenceDouble, { close });
}
