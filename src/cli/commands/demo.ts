// demo: the bridge with no configuration at all. It starts everything in one process (see
// src/demo/start-demo.ts), prints the legacy users with their passwords and where to go,
// and stops cleanly on SIGTERM or SIGINT.
import { DEMO_LEGACY_KINDS, type DemoLegacyKind } from '../../demo/legacy-kinds.ts';
import { UsageError } from '../../errors.ts';
import { createLogger } from '../../logger.ts';
import { referenceTypes } from '../../target/registry.ts';
import { table } from '../context.ts';
import { type Command, positiveInt } from '../framework.ts';
import { referenceTypeOption } from './reference-target.ts';

const usage = `Usage: oidc-bridge demo [--legacy KIND] [--target TYPE] [--port N] [--rp-port N] [--target-port N] [--host H] [--data-dir DIR]

Runs the bridge with an embedded store, a demo legacy store holding users (by default an
embedded database with several password hash formats), a reference target platform and a
demo application. Needs no configuration file and no database server; it reads neither.

  --legacy KIND     the legacy store: sql (an embedded be_users table, the default), http (the
                    shop's password check over HTTP, Keycloak user-migration style) or ldap (an
                    OpenLDAP directory; needs slapd: apt-get install slapd ldap-utils)
  --target TYPE     the target the bridge delivers to: ${referenceTypes().join(', ')} (default commerce-import)
  --port N          the bridge (the OpenID provider), default 3000
  --rp-port N       the demo application (the relying party), default 3001
  --target-port N   the reference target platform, default 4000
  --host H          address to listen on, default 127.0.0.1
  --data-dir DIR    keep the bridge store in DIR; default: in memory, every run starts clean`;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];

function portOption(values: Record<string, unknown>, name: string, def: number): number {
  const port = positiveInt(values, name, usage, def);
  if (port > 65535) throw new UsageError(`--${name} must be a port from 1 to 65535, got ${port}.`, usage);
  return port;
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run the bridge, a legacy database, the target and a demo application, with no setup',
  usage,
  options: {
    legacy: { type: 'string' },
    target: { type: 'string' },
    port: { type: 'string' },
    'rp-port': { type: 'string' },
    'target-port': { type: 'string' },
    host: { type: 'string' },
    'data-dir': { type: 'string' },
  },
  async run({ values }, io) {
    const port = portOption(values, 'port', 3000);
    const rpPort = portOption(values, 'rp-port', 3001);
    const targetPort = portOption(values, 'target-port', 4000);
    const host = (values.host as string | undefined) ?? '127.0.0.1';
    const target = referenceTypeOption(values, usage);
    const legacy = (values.legacy as string | undefined) ?? 'sql';
    if (!(DEMO_LEGACY_KINDS as readonly string[]).includes(legacy)) {
      throw new UsageError(`--legacy must be one of ${DEMO_LEGACY_KINDS.join(', ')}, got ${legacy}.`, usage);
    }
    const requested = io.env.LOG_LEVEL as LogLevel | undefined;
    const logLevel: LogLevel = requested && LOG_LEVELS.includes(requested) ? requested : 'info';
    const logger = createLogger({ level: logLevel });
    const started = Date.now();

    // Loaded here: the other commands need neither koa nor oidc-provider.
    const { startDemo } = await import('../../demo/start-demo.ts');
    const demo = await startDemo({
      port,
      rpPort,
      targetPort,
      target,
      legacy: legacy as DemoLegacyKind,
      host,
      dataDir: values['data-dir'] as string | undefined,
      logger,
      logLevel,
      env: io.env,
    });
    // The logger writes asynchronously; let its start-up lines out before the banner.
    await new Promise((resolve) => setTimeout(resolve, 50));

    const users = demo.users.map((u) => ({
      username: u.username,
      email: u.email,
      password: u.password,
      'stored as': u.scheme,
    }));
    const first = demo.users[0]!;
    io.out(
      [
        '',
        `oidc-bridge demo: ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
        '',
        `  Bridge (OpenID provider)   ${demo.bridgeUrl}`,
        `  Demo application           ${demo.rpUrl}`,
        `  Reference target           ${demo.targetUrl} (${demo.targetType}: ${demo.targetEndpoint})`,
        `  Legacy store               ${demo.legacyDescription}`,
        `  Bridge store               ${values['data-dir'] ? `kept in ${values['data-dir'] as string}` : 'in memory (gone when the demo stops)'}`,
        '',
        `Legacy users (${demo.legacyKind} legacy store):`,
        '',
        table(users, ['username', 'email', 'password', 'stored as'])
          .split('\n')
          .map((l) => `  ${l}`)
          .join('\n'),
        '',
        `Open ${demo.rpUrl} and log in as ${first.username} with password ${first.password} (or any user above).`,
        'Press Ctrl+C to stop.',
        '',
      ].join('\n'),
    );

    const signal = await new Promise<string>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    logger.info({ signal }, 'demo shutting down');
    await demo.stop();
    io.out('oidc-bridge demo: stopped.');
    logger.flush?.();
    return 0;
  },
};
