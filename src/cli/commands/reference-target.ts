// reference-target: runs the test double of a target platform on its own (the commerce
// platform's user-import API by default; SCIM or a webhook receiver with --target), for
// docker-compose, the demo and trying a configuration before go-live.
import { UsageError } from '../../errors.ts';
import { referenceTypes } from '../../target/registry.ts';
import { serveReferenceTarget } from '../../target/serve.ts';
import { type Command, positiveInt } from '../framework.ts';

const usage = `Usage: oidc-bridge reference-target [--target TYPE] [--port N] [--host H] [--token T]

  --target TYPE  the platform it stands in for: ${referenceTypes().join(', ')} (default commerce-import)
  --port N       default 4000
  --host H       default 127.0.0.1
  --token T      require "Authorization: Bearer T" on API requests (or $REFERENCE_TARGET_TOKEN)`;

/** `--target TYPE`: a target type that has a test double; commerce-import when not given. */
export function referenceTypeOption(values: Record<string, unknown>, usage: string): string {
  const type = (values.target as string | undefined) ?? 'commerce-import';
  if (!referenceTypes().includes(type)) {
    throw new UsageError(`--target must be one of ${referenceTypes().join(', ')}, got "${type}".`, usage);
  }
  return type;
}

export const referenceTargetCommand: Command = {
  name: 'reference-target',
  summary: 'serve the test double of a target platform (the commerce import API, SCIM, a webhook receiver)',
  usage,
  options: {
    target: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    token: { type: 'string' },
  },
  async run({ values }, io) {
    const type = referenceTypeOption(values, usage);
    const target = await serveReferenceTarget({
      type,
      port: positiveInt(values, 'port', usage, 4000),
      host: (values.host as string | undefined) ?? '127.0.0.1',
      token: (values.token as string | undefined) ?? io.env.REFERENCE_TARGET_TOKEN,
    });
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', () => resolve());
      process.once('SIGINT', () => resolve());
    });
    await target.close();
    return 0;
  },
};
