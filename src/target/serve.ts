// `oidc-bridge reference-target`: the in-memory reference import API as a process of its
// own, for the demo and for trying a bridge configuration before the real platform.
// Fault controls are served under /_control so a test run can switch modes from outside.
import { createLogger, type Logger } from '../logger.ts';
import { createReferenceTarget, type ReferenceTargetState, type RunningTarget } from './reference-target.ts';

export interface ServeReferenceTargetOptions {
  /** Default 4000. */
  port?: number | undefined;
  /** Default 127.0.0.1: an API that accepts passwords has no business on every interface. */
  host?: string | undefined;
  /** Bearer token every /api request must carry. No default: no authentication. */
  token?: string | undefined;
  logger?: Logger | undefined;
}

export interface ServedReferenceTarget extends RunningTarget {
  state: ReferenceTargetState;
}

export async function serveReferenceTarget(
  opts: ServeReferenceTargetOptions = {},
): Promise<ServedReferenceTarget> {
  const logger = opts.logger ?? createLogger();
  const target = createReferenceTarget({ token: opts.token, logger, control: true });
  const running = await target.listen(opts.port ?? 4000, opts.host ?? '127.0.0.1');
  logger.info(
    { url: running.url, importUrl: running.importUrl, auth: opts.token ? 'bearer' : 'none' },
    `reference target listening on ${running.url} (import: POST ${running.importUrl})`,
  );

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      await running.close();
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

  return { ...running, state: target.state, close };
}
