// reference-target: runs the reference import API of the target platform (the commerce platform's user-import format) on
// its own, for docker-compose, the demo and trying a configuration before go-live.
import { serveReferenceTarget } from '../../target/serve.ts';
import { type Command, positiveInt } from '../framework.ts';

const usage = `Usage: oidc-bridge reference-target [--port N] [--host H] [--token T]

  --port N    default 4000
  --host H    default 127.0.0.1
  --token T   require "Authorization: Bearer T" on /api requests (or $REFERENCE_TARGET_TOKEN)`;

export const referenceTargetCommand: Command = {
  name: 'reference-target',
  summary: "serve the reference target platform's import API (the commerce platform's user-import format)",
  usage,
  options: { port: { type: 'string' }, host: { type: 'string' }, token: { type: 'string' } },
  async run({ values }, io) {
    const target = await serveReferenceTarget({
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
