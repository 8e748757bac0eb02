// What anonymous users type into the name field reaches the audit trail tamed: stored
// normalised and capped, and printed by `audit list` with every control character escaped,
// so that an ESC sequence or a CR/LF cannot recolour the terminal or forge a row.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditCommands } from '../../src/cli/commands/audit.ts';
import { type Io, runCli } from '../../src/cli/framework.ts';
import { silentLogger } from '../../src/logger.ts';
import { createAudit } from '../../src/security/audit.ts';
import { AUDIT_IDENTIFIER_MAX } from '../../src/security/identifier-key.ts';
import { createStore, type Store } from '../../src/store/db.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';

let database: TestDatabase;
let store: Store;
let configFile: string;

beforeAll(async () => {
  database = await createPgDatabase();
  store = createStore({ database: database.url });
  await store.migrate();
  configFile = join(mkdtempSync(join(tmpdir(), 'obt-audit-')), 'oidc-bridge.yaml');
  writeFileSync(configFile, 'database: ${TEST_STORE_URL}\n');
});

afterAll(async () => {
  await store?.close();
  await database?.drop();
});

const HOSTILE = ' Ａda\u001b[2J\u001b[31m\r\n2026-12-01T00:00:00.000Z  login  success  admin ';

describe('identifiers in the audit trail', () => {
  it('are stored normalised, without control characters, and capped in length', async () => {
    const audit = createAudit(store.db, silentLogger);
    await audit.record({ type: 'login', outcome: 'failure', reason: 'unknown_user', identifier: HOSTILE });
    await audit.record({
      type: 'login',
      outcome: 'failure',
      reason: 'unknown_user',
      identifier: 'x'.repeat(5000),
    });
    const rows = await store.db('audit_events').orderBy('id').select('identifier');
    expect(rows[0].identifier).toBe('ada[2j[31m2026-12-01t00:00:00.000z login success admin');
    expect(rows[1].identifier).toHaveLength(AUDIT_IDENTIFIER_MAX);
    // And found again by what was typed.
    expect(await audit.list({ identifier: HOSTILE })).toHaveLength(1);
  });

  it('are printed by audit list with control characters escaped, one line per event', async () => {
    // A row written before identifiers were normalised, exactly as typed.
    await store.db('audit_events').insert({ type: 'login', outcome: 'failure', identifier: HOSTILE });
    const out: string[] = [];
    const io: Io = {
      out: (l) => out.push(l),
      err: () => {},
      stdin: new PassThrough(),
      isTTY: false,
      env: { TEST_STORE_URL: database.url, OIDC_BRIDGE_CONFIG: configFile },
    };
    const code = await runCli(auditCommands, ['audit', 'list'], io);
    const text = out.join('\n');
    expect(code, text).toBe(0);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters that must not be printed
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
    expect(text).toContain('\\u{1b}[2J');
    expect(text.split('\n')).toHaveLength(1 + 3);
  });
});

describe('addresses in the audit trail', () => {
  it('keep an address longer than the column (a forwarded header) to its first 64 characters, and the event is written', async () => {
    const audit = createAudit(store.db, silentLogger);
    const forwarded = `${'f'.repeat(80)}.example`;
    await audit.record({ type: 'login', outcome: 'success', sub: 'ip-cap', ip: forwarded });
    const row = await store.db('audit_events').where({ sub: 'ip-cap' }).first('ip');
    expect(row?.ip).toBe(forwarded.slice(0, 64));
  });
});
