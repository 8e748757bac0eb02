// Every object of the configuration is strict: a misspelt key anywhere stops the start with
// the key's full path and the nearest allowed key, instead of being accepted and ignored.
import { describe, expect, it } from 'vitest';
import { nearestKey, parseConfig } from '../../src/config/load.ts';
import { ConfigError } from '../../src/errors.ts';

function issuesOf(raw: Record<string, unknown>): string[] {
  try {
    parseConfig(raw, {});
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.flatMap((i) => i.split('\n  - '));
  }
  throw new Error('the configuration was accepted');
}

const legacy = { connection: 'mysql://ro@127.0.0.1:3306/shop', table: 'be_users' };

describe('unknown keys inside a section', () => {
  it.each([
    [{ legacy: { ...legacy, identifier: ['username'] } }, 'legacy.identifier', 'legacy.identifiers'],
    [{ legacy: { ...legacy, colums: { id: 'id' } } }, 'legacy.colums', 'legacy.columns'],
    [
      { legacy: { ...legacy, columns: { passwrd: 'pw' } } },
      'legacy.columns.passwrd',
      'legacy.columns.password',
    ],
    [
      { target: { type: 'http', url: 'http://t.example/import', mappings: {} } },
      'target.mappings',
      'target.mapping',
    ],
    [{ ui: { primary_colour: '#000000' } }, 'ui.primary_colour', 'ui.primary_color'],
    [
      { security: { lockout: { free_attempt: 3 } } },
      'security.lockout.free_attempt',
      'security.lockout.free_attempts',
    ],
    [{ oidc: { ttl: { access_tokens: 60 } } }, 'oidc.ttl.access_tokens', 'oidc.ttl.access_token'],
    [{ worker: { max_attempt: 3 } }, 'worker.max_attempt', 'worker.max_attempts'],
  ])('refuses %j, naming %s and suggesting %s', (raw, key, suggestion) => {
    const issues = issuesOf(raw);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toContain(`${key}: unknown key`);
    expect(issues[0]).toContain(`did you mean ${suggestion}?`);
  });

  it('lists the allowed keys when nothing is close', () => {
    const [issue] = issuesOf({ ui: { zzzzzz: 1 } });
    expect(issue).toContain('ui.zzzzzz: unknown key');
    expect(issue).toContain('product_name');
    expect(issue).not.toContain('did you mean');
  });

  it('reports every unknown key at once', () => {
    const issues = issuesOf({ legacy: { ...legacy, identifier: [], colums: {} }, loglevel: 'debug' });
    expect(issues).toHaveLength(3);
  });
});

describe('nearestKey', () => {
  it('matches plurals, swapped letters and spelling variants, and nothing far off', () => {
    expect(nearestKey('identifier', ['identifiers', 'table'])).toBe('identifiers');
    expect(nearestKey('tabel', ['identifiers', 'table'])).toBe('table');
    expect(nearestKey('primary_colour', ['primary_color', 'logo_url'])).toBe('primary_color');
    expect(nearestKey('banana', ['identifiers', 'table'])).toBeUndefined();
  });
});
