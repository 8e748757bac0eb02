// Starts the whole demo in one process, with no configuration and no database server: the
// embedded bridge store, a legacy store of the kind asked for (an embedded database, an HTTP
// password check or an OpenLDAP directory), the reference target platform, the bridge with
// its delivery worker, and the demo application (the relying party).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { type Bridge, createBridge } from '../app.ts';
import { parseConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { BridgeError, NotFoundError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { type SmtpSink, startSmtpSink } from '../mail/sink.ts';
import { startDeliveryWorker } from '../migration/worker.ts';
import { createClientStore } from '../oidc/clients.ts';
import { createStore } from '../store/db.ts';
import type { ReferenceDouble } from '../target/reference.ts';
import { referenceFor } from '../target/registry.ts';
import { memoryStoreOn, openEmbeddedPostgres } from './embedded-postgres.ts';
import { createInspector } from './inspect.ts';
import type { DemoUser } from './legacy-db.ts';
import type { DemoLegacyKind } from './legacy-kinds.ts';
import { startDemoLegacy } from './legacy-store.ts';
import {
  type AppKey,
  CALLBACK_PATH,
  createDemoRelyingParty,
  type RpClient,
  SIGNED_OUT_PATH,
} from './relying-party.ts';

export interface DemoOptions {
  /** The bridge's port. */
  port: number;
  /** The demo application's port. */
  rpPort: number;
  /** The reference target's port. */
  targetPort: number;
  /** The target type the demo delivers to, through that type's reference double. Default commerce-import. */
  target?: string | undefined;
  /** The kind of legacy store the demo runs: sql (default), http or ldap. */
  legacy?: DemoLegacyKind | undefined;
  /** The address all three listen on. */
  host: string;
  /** Keep the bridge store here; default: in memory, so every run starts clean. */
  dataDir?: string | undefined;
  logger: Logger;
  logLevel?: Config['log_level'];
  env?: NodeJS.ProcessEnv;
  /** Branding of the login pages, over the demo's own. */
  ui?: Partial<Config['ui']>;
}

export interface RunningDemo {
  bridgeUrl: string;
  rpUrl: string;
  targetUrl: string;
  /** The reference target the demo delivers to: the users it holds, the requests it answered. */
  target: ReferenceDouble;
  /** Where the bridge sends its users: the double's import, SCIM or webhook endpoint. */
  targetEndpoint: string;
  targetType: string;
  /** The legacy store's kind, and which store it is, for the banner and the start page. */
  legacyKind: DemoLegacyKind;
  legacyDescription: string;
  users: DemoUser[];
  clients: Record<AppKey, RpClient>;
  config: Config;
  bridge: Bridge;
  /** The embedded SMTP server the bridge's e-mails go to; /mailbox shows them. */
  mailbox: SmtpSink;
  stop(): Promise<void>;
}

const LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48"><rect width="48" height="48" rx="11" fill="#0f766e"/><path d="M13 19h22l-2.2 17H15.2z" fill="#fff"/><path d="M19 19v-3a5 5 0 0 1 10 0v3" fill="none" stroke="#fff" stroke-width="2.6" stroke-linecap="round"/></svg>';
export const DEMO_LOGO = `data:image/svg+xml;base64,${Buffer.from(LOGO_SVG).toString('base64')}`;

/** The host name people type: loopback and wildcard addresses read as localhost. */
export function publicHost(host: string): string {
  if (['127.0.0.1', '0.0.0.0', '::', '::1', 'localhost', ''].includes(host)) return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

async function listening<T>(what: string, flag: string, port: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new BridgeError(
        'port_unavailable',
        `The ${what} cannot listen on port ${port} (${code}). Fix: stop what runs there, or pass ${flag} with another port.`,
      );
    }
    throw err;
  }
}

/** Binds and releases a port, to learn early whether it is free. */
function probe(port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

export async function startDemo(opts: DemoOptions): Promise<RunningDemo> {
  const { logger } = opts;
  const env = opts.env ?? process.env;
  const host = publicHost(opts.host);
  const bridgeUrl = `http://${host}:${opts.port}`;
  const rpUrl = `http://${host}:${opts.rpPort}`;
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      await fn().catch((err: unknown) =>
        logger.warn({ err: { message: (err as Error).message } }, 'demo: stop step failed'),
      );
    }
  };

  try {
    // Busy ports are found before the seconds spent on the databases, not after.
    const targetType = opts.target ?? 'commerce-import';
    const startReference = await referenceFor(targetType);
    const target = await listening('reference target', '--target-port', opts.targetPort, () =>
      startReference({
        port: opts.targetPort,
        host: opts.host,
        logger: logger.child({ component: 'reference-target' }),
      }),
    );
    cleanups.push(() => target.close());
    const targetEndpoint = String(target.targetConfig.url);
    await listening('bridge', '--port', opts.port, () => probe(opts.port, opts.host));
    await listening('demo application', '--rp-port', opts.rpPort, () => probe(opts.rpPort, opts.host));

    const legacyPromise = startDemoLegacy(opts.legacy ?? 'sql', { logger, env });
    const storePromise = opts.dataDir
      ? Promise.resolve(createStore({ data_dir: opts.dataDir }))
      : openEmbeddedPostgres(logger, env).then(memoryStoreOn);
    const [legacyResult, storeResult] = await Promise.allSettled([legacyPromise, storePromise]);
    if (legacyResult.status === 'fulfilled') cleanups.push(() => legacyResult.value.close());
    if (storeResult.status === 'fulfilled') cleanups.push(() => storeResult.value.close());
    if (legacyResult.status === 'rejected') throw legacyResult.reason;
    if (storeResult.status === 'rejected') throw storeResult.reason;
    const legacy = legacyResult.value;
    const store = storeResult.value;
    await store.migrate();
    // The demo's own mail server, on loopback only: the reset e-mails land on /mailbox.
    const mailbox = await startSmtpSink({ host: '127.0.0.1' });
    cleanups.push(() => mailbox.close());

    // An in-memory store lives as long as the process, so a throwaway key encrypts it; a
    // kept store needs the same key next time, which only the operator can provide.
    const kek = env.OIDC_BRIDGE_KEY ?? (opts.dataDir ? undefined : randomBytes(32).toString('base64'));
    const config = parseConfig(
      {
        issuer: bridgeUrl,
        port: opts.port,
        host: opts.host,
        ...(kek ? { key_encryption_key: kek } : {}),
        legacy: legacy.legacyConfig,
        target: target.targetConfig,
        // Deliveries show up on the result page within a moment of the login.
        worker: { poll_interval_ms: 200, base_delay_ms: 500 },
        ui: {
          product_name: 'Demo Shop',
          logo_url: DEMO_LOGO,
          primary_color: '#0f766e',
          ...opts.ui,
        },
        // The demo's passwords are short on purpose (they are printed on its page): no prompt
        // for a new one after them, so a first login shows its result straight away.
        password_policy: { prompt_weak_legacy: 'off' },
        mail: {
          host: '127.0.0.1',
          port: mailbox.port,
          security: 'none',
          from: 'Demo Shop <no-reply@demo-shop.example>',
          poll_interval_ms: 200,
          base_delay_ms: 500,
        },
        log_level: opts.logLevel ?? 'info',
        shutdown_timeout_ms: 3000,
      },
      {},
    );

    const bridge = await createBridge(config, {
      store,
      ...(legacy.knex ? { legacyDb: legacy.knex } : {}),
      logger,
    });
    cleanups.push(() => bridge.stop());

    const clientStore = createClientStore(store.db, bridge.box);
    const registrations: Record<AppKey, { id: string; name: string; firstParty: boolean }> = {
      main: { id: 'demo-shop', name: 'Demo Shop', firstParty: true },
      partner: { id: 'partner-app', name: 'Partner App', firstParty: false },
    };
    const clients = {} as Record<AppKey, RpClient>;
    for (const key of ['main', 'partner'] as const) {
      const r = registrations[key];
      // A kept store (--data-dir) has them from the last run, maybe with other ports.
      await clientStore.remove(r.id).catch((err: unknown) => {
        if (!(err instanceof NotFoundError)) throw err;
      });
      const added = await clientStore.add({
        id: r.id,
        name: r.name,
        redirectUris: [`${rpUrl}${CALLBACK_PATH}`],
        postLogoutRedirectUris: [`${rpUrl}${SIGNED_OUT_PATH}`],
        firstParty: r.firstParty,
      });
      clients[key] = { id: r.id, name: r.name, secret: added.client_secret! };
    }

    await listening('bridge', '--port', opts.port, () => bridge.listen(opts.port, opts.host));
    const worker = startDeliveryWorker(bridge);
    // Stopped before the bridge and the target, so a delivery in flight can finish.
    cleanups.push(() => worker.stop());

    const links = { bridge: bridgeUrl, targetImport: targetEndpoint };
    const rp = await createDemoRelyingParty({
      publicUrl: rpUrl,
      issuer: bridgeUrl,
      clients,
      users: legacy.users,
      legacySource: legacy.description,
      mailbox,
      inspector: createInspector(store.db, target),
      links,
      logger: logger.child({ component: 'demo-app' }),
    });
    const runningRp = await listening('demo application', '--rp-port', opts.rpPort, () =>
      rp.listen(opts.rpPort, opts.host),
    );
    cleanups.push(() => runningRp.close());

    return {
      bridgeUrl,
      rpUrl,
      targetUrl: target.url,
      target,
      targetEndpoint,
      targetType,
      legacyKind: legacy.kind,
      legacyDescription: legacy.description,
      users: legacy.users,
      clients,
      config,
      bridge,
      mailbox,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
