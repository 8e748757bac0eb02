#!/usr/bin/env node
// The command-line entry point. Loads the TypeScript sources through tsx, so that
// `npx oidc-bridge` works straight after `npm ci`; a built image runs dist/ instead.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist/src/cli/main.js');
if (process.env.OIDC_BRIDGE_DIST === '1' && existsSync(built)) {
  await import(built);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(join(root, 'src/cli/main.ts'));
}
