// Property-based: hostile arguments to `hash verify`, `clients add` and `legacy check`, run in
// process through runCli as the binary would run them. Every answer is a documented exit code
// with a message and no stack trace; a refused `clients add` writes no client, and `legacy
// check` writes nothing anywhere.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientCommands } from '../../src/cli/commands/clients.ts';
import { hashCommands } from '../../src/cli/commands/hash.ts';
import { legacyCommands } from '../../src/cli/commands/legacy.ts';
import { type Io, runCli } from '../../src/cli/framework.ts';
import { createStore, type Store } from '../../src/store/db.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { hostileString } from './arbitraries.ts';
import { createLegacyTable, type LegacyTable } from './support.ts';

const RUNS = 50;

let database: TestDatabase;
let store: Store;
let legacy: LegacyTable;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  database = await createPgDatabase();
  store = createStore({ database: database.url });
  await store.migrate();
  legacy = await createLegacyTable('mysql', [
    { username: 'liam', email: 'liam@example.com', password: 'Liams-Password-7740' },
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'obt-hostile-cli-'));
  const file = join(dir, 'oidc-bridge.yaml');
  writeFileSync(
    file,
    [
      'database: ${TEST_STORE_URL}',
      'legacy:',
      '  connection: ${TEST_LEGACY_URL}',
      '  table: users',
      '  identifiers: [username, email]',
      '  claims: { email: email, preferred_username: username }',
      '',
    ].join('\n'),
  );
  env = { TEST_STORE_URL: database.url, TEST_LEGACY_URL: legacy.database.url, OIDC_BRIDGE_CONFIG: file };
});

afterAll(async () => {
  await store?.close();
  await database?.drop();
  await legacy?.drop();
});

async function cli(commands: typeof hashCommands, argv: string[], stdin = '') {
  const out: string[] = [];
  const err: string[] = [];
  const input = new PassThrough();
  input.end(stdin);
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), stdin: input, isTTY: false, env };
  const code = await runCli(commands, argv, io);
  return { code, text: [...out, ...err].join('\n') };
}

function expectClean(r: { code: number; text: string }, allowed: number[], what: string) {
  expect(allowed, `${what}: exit ${r.code}: ${r.text.slice(0, 300)}`).toContain(r.code);
  expect(r.text, what).not.toMatch(/\n\s+at .+:\d+:\d+/);
  expect(r.text, what).not.toMatch(/TypeError|ReferenceError|Cannot read propert/);
}

/** An option either as `--name value` or as `--name=value`, so values may start with a dash. */
const option = (name: string, value: string, eq: boolean) =>
  eq ? [`--${name}=${value}`] : [`--${name}`, value];

const GARBAGE_HASHES = [
  '$2y$10$',
  '$2y$10$short',
  '$2y$04$' + 'a'.repeat(53),
  '$argon2id$v=19$m=65536,t=3,p=4$',
  '$argon2id$v=19$m=1,t=1,p=1$AAAA$AAAA',
  '$6$rounds=5000$salt$',
  '$1$$',
  '$P$B',
  'pbkdf2_sha256$600000$$',
  '{SSHA}!!!',
  '*',
  'sha1$$',
  '0'.repeat(32),
  'Z'.repeat(40),
];
const hashArb = fc.oneof(
  hostileString,
  fc.constantFrom(...GARBAGE_HASHES),
  fc.tuple(fc.constantFrom(...GARBAGE_HASHES), hostileString).map(([a, b]) => a + b),
);
const schemeArb = fc.oneof(
  hostileString,
  fc.constantFrom(
    'auto',
    'bcrypt',
    'md5',
    'sha1(salt + password)',
    'md5(md5(password) + salt)',
    'sha9(password)',
  ),
  fc.constantFrom(
    'sha1(',
    'sha1(password',
    'md5(md5(md5(md5(md5(md5(password))))))',
    'sha1(salt + + password)',
  ),
);

describe('hash verify with hostile arguments', () => {
  it('exits 0, 1 or 2 with a message, never with a crash', async () => {
    await fc.assert(
      fc.asyncProperty(
        hostileString,
        hashArb,
        fc.option(hostileString, { nil: undefined }),
        fc.option(schemeArb, { nil: undefined }),
        fc.boolean(),
        async (password, hash, salt, scheme, eq) => {
          const argv = [
            'hash',
            'verify',
            ...option('password', password, eq),
            ...option('hash', hash, eq),
            ...(salt === undefined ? [] : option('salt', salt, eq)),
            ...(scheme === undefined ? [] : option('scheme', scheme, eq)),
          ];
          expectClean(await cli(hashCommands, argv), [0, 1, 2], 'hash verify');
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('answers every hostile --stdin line with one JSON line', async () => {
    const line = fc.oneof(
      hostileString,
      fc
        .record({
          password: hostileString,
          hash: hashArb,
          salt: fc.option(hostileString, { nil: undefined }),
        })
        .map((o) => JSON.stringify(o)),
      fc.constantFrom('{"password":1,"hash":[]}', 'null', '[]', '{"password":"x","hash":"y","scheme":{}}'),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 5 }), async (lines) => {
        const clean = lines.map((l) => l.replace(/[\r\n\u2028\u2029]/g, ' '));
        const r = await cli(hashCommands, ['hash', 'verify', '--stdin'], `${clean.join('\n')}\n`);
        expectClean(r, [0, 2], 'hash verify --stdin');
        const answers = r.text.split('\n').filter(Boolean);
        expect(answers).toHaveLength(clean.filter((l) => l.trim() !== '').length);
        for (const a of answers) expect(Object.keys(JSON.parse(a))).toEqual(expect.arrayContaining([]));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('clients add with hostile arguments', () => {
  it('adds a client or refuses with exit code 2, and a refusal writes nothing', async () => {
    const uri = fc.oneof(
      hostileString,
      fc.webUrl({ withFragments: true, withQueryParameters: true }),
      fc.constantFrom(
        'javascript:alert(1)',
        'http://a/cb#frag',
        'data:text/html,x',
        'com.example.app:/cb',
        '//evil.example',
      ),
    );
    let seq = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(hostileString, fc.stringMatching(/^[A-Za-z0-9._~-]{1,20}$/)),
        fc.array(uri, { minLength: 0, maxLength: 3 }),
        fc.option(hostileString, { nil: undefined }),
        fc.option(hostileString, { nil: undefined }),
        fc.boolean(),
        fc.boolean(),
        async (id, uris, secret, name, isPublic, eq) => {
          // A unique suffix keeps "already exists" from hiding the other checks.
          const clientId = /^[A-Za-z0-9._~-]{1,20}$/.test(id) ? `${id}-${++seq}` : id;
          const argv = [
            'clients',
            'add',
            ...option('id', clientId, eq),
            ...uris.flatMap((u) => option('redirect-uri', u, eq)),
            ...(secret === undefined ? [] : option('secret', secret, eq)),
            ...(name === undefined ? [] : option('name', name, eq)),
            ...(isPublic ? ['--public'] : []),
          ];
          const count = async () => Number((await store.db('clients').count({ n: '*' }))[0]!.n);
          const before = await count();
          const r = await cli(clientCommands, argv);
          expectClean(r, [0, 2], 'clients add');
          expect(await count()).toBe(before + (r.code === 0 ? 1 : 0));
        },
      ),
      {
        numRuns: RUNS,
        // Found by this property: text PostgreSQL's json type refuses (NUL, a lone surrogate).
        examples: [
          ['nul', ['http://a.example/cb'], undefined, 'A\u0000B', false, false],
          ['surrogate', ['http://a.example/cb'], undefined, '\ud800', false, false],
          ['secret', ['http://a.example/cb'], 'secret-\u0000-value', undefined, false, true],
        ],
      },
    );
  });
});

describe('legacy check with hostile arguments', () => {
  it('finds no one or refuses the input, and writes nothing to the legacy table or the store', async () => {
    const rows = () => legacy.withDb(async (db) => Number((await db('users').count({ n: '*' }))[0]!.n));
    const clients = async () => Number((await store.db('clients').count({ n: '*' }))[0]!.n);
    const before = { rows: await rows(), clients: await clients() };
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          hostileString,
          fc.constantFrom('liam', 'LIAM', 'liam@example.com', "liam' --", 'liam\u0000'),
        ),
        hostileString,
        fc.boolean(),
        async (user, password, eq) => {
          const argv = ['legacy', 'check', ...option('user', user, eq), ...option('password', password, eq)];
          expectClean(await cli(legacyCommands, argv), [1, 2], 'legacy check');
        },
      ),
      { numRuns: RUNS },
    );
    expect({ rows: await rows(), clients: await clients() }).toEqual(before);
  });
});
