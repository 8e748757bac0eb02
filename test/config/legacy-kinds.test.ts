// The legacy section per kind is checked at start: what each kind needs, a transform with
// one operation, and every error naming the key and the fix.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import type { ConfigError } from '../../src/errors.ts';
import { runBin } from '../support/cli.ts';

function issues(legacy: Record<string, unknown>): string[] {
  try {
    parseConfig({ legacy });
  } catch (err) {
    return (err as ConfigError).issues;
  }
  return [];
}

describe('legacy.kind at start', () => {
  it('keeps sql the default, with a table or a query', () => {
    expect(
      parseConfig({ legacy: { connection: 'sqlite:/tmp/x.db', table: 'public.auth_user' } }).legacy?.kind,
    ).toBe('sql');
    expect(issues({ connection: 'mysql://u@h/db', query: 'SELECT 1' })).toEqual([]);
  });

  it('names what kind sql lacks', () => {
    expect(issues({ table: 'users' }).join('\n')).toContain('legacy.connection');
    expect(issues({ connection: 'mysql://u@h/db' }).join('\n')).toContain('legacy.table');
    expect(issues({ connection: 'mysql://u@h/db', table: 't', query: 'SELECT 1' }).join('\n')).toContain(
      'keep one of them',
    );
  });

  it('refuses a table name that is not a table name, saying "table"', () => {
    expect(issues({ connection: 'mysql://u@h/db', table: 'users; drop' }).join('\n')).toMatch(
      /legacy\.table.*table name/,
    );
  });

  it('needs the section of an http or ldap kind', () => {
    expect(issues({ kind: 'http' }).join('\n')).toMatch(/legacy\.http.*is required with kind http/);
    expect(issues({ kind: 'ldap' }).join('\n')).toMatch(/legacy\.ldap.*is required with kind ldap/);
    expect(issues({ kind: 'ldap', ldap: { url: 'http://x', base_dn: 'dc=x' } }).join('\n')).toContain(
      'ldap://',
    );
  });

  it('refuses a field with no operation or two, and an unknown key in one', () => {
    const base = { connection: 'mysql://u@h/db', table: 'users' };
    expect(issues({ ...base, fields: { a: { lower: true } } }).join('\n')).toMatch(
      /legacy\.fields\.a.*exactly one of/,
    );
    expect(issues({ ...base, fields: { a: { split: 'name', join: ['x'] } } }).join('\n')).toMatch(
      /exactly one of/,
    );
    expect(issues({ ...base, fields: { a: { splt: 'name' } } }).join('\n')).toContain('legacy.fields.a');
  });
});

describe('commands a kind cannot serve', () => {
  it('import on an http source says so and what to do, writing nothing', async () => {
    const { mkdtempSync, writeFileSync, existsSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'kind-import-'));
    const file = join(dir, 'oidc-bridge.yaml');
    writeFileSync(
      file,
      JSON.stringify({
        data_dir: join(dir, 'data'),
        legacy: { kind: 'http', http: { url: 'http://127.0.0.1:9/users' } },
        target: { type: 'commerce-import', url: 'http://127.0.0.1:9/import' },
      }),
    );
    const r = await runBin(['import', '--dry-run', '--config', file], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot list its users for the bulk import');
    expect(r.stderr).toContain('Users migrate at their first login');
    expect(r.stderr).toContain('export them to a table and use legacy.kind: sql');
    expect(existsSync(join(dir, 'data'))).toBe(false);
    expect(existsSync(join(dir, 'import-rejects.csv'))).toBe(false);
  });
});
