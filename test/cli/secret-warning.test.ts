// Every command that writes a secret into the store says so when no key encryption key is
// set, as `start` does: clients add, clients rotate-secret and keys rotate. With a key, or
// with no secret written (a public client), it says nothing.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientCommands } from '../../src/cli/commands/clients.ts';
import { keyCommands } from '../../src/cli/commands/keys.ts';
import { UNSEALED_WARNING } from '../../src/cli/context.ts';
import { type Io, runCli } from '../../src/cli/framework.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';

let database: TestDatabase;
let configFile: string;

beforeAll(async () => {
  database = await createPgDatabase();
  configFile = join(mkdtempSync(join(tmpdir(), 'obt-warn-')), 'oidc-bridge.yaml');
  writeFileSync(configFile, 'database: ${TEST_STORE_URL}\n');
});

afterAll(async () => {
  await database?.drop();
});

async function run(args: string[], kek?: string) {
  const err: string[] = [];
  const io: Io = {
    out: () => {},
    err: (l) => err.push(l),
    stdin: new PassThrough(),
    isTTY: false,
    env: {
      TEST_STORE_URL: database.url,
      OIDC_BRIDGE_CONFIG: configFile,
      ...(kek ? { OIDC_BRIDGE_KEY: kek } : {}),
    },
  };
  const code = await runCli([...clientCommands, ...keyCommands], args, io);
  return { code, err: err.join('\n') };
}

describe('a command that writes a secret without a key encryption key', () => {
  it.each([
    ['clients add', ['clients', 'add', '--id', 'plain', '--redirect-uri', 'https://a.example/cb']],
    ['clients rotate-secret', ['clients', 'rotate-secret', 'plain']],
    ['keys rotate', ['keys', 'rotate']],
  ])('%s warns once that it is stored unencrypted', async (_name, args) => {
    const r = await run(args);
    expect(r.code, r.err).toBe(0);
    expect(r.err.split(UNSEALED_WARNING)).toHaveLength(2);
  });

  it('says nothing when no secret is written, or when the key is set', async () => {
    const pub = await run([
      'clients',
      'add',
      '--id',
      'spa',
      '--redirect-uri',
      'https://a.example/cb',
      '--public',
    ]);
    expect(pub).toEqual({ code: 0, err: '' });
    const sealed = await run(
      ['clients', 'add', '--id', 'sealed', '--redirect-uri', 'https://a.example/cb'],
      'k'.repeat(44),
    );
    expect(sealed).toEqual({ code: 0, err: '' });
  });
});
