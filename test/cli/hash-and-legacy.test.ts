// The operator's hash tools and the import guide's test-user step, through the real command line:
// `hash verify` (also --stdin), `hash identify`, and `legacy check` against the import guide's
// be_users on MariaDB. Exit codes 0/1/2; no hash is ever printed by legacy check.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcrypt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_HASH, loadBeUsers } from '../legacy/support.ts';
import { runBin } from '../support/cli.ts';
import { createMariaDatabase, type TestDatabase } from '../support/databases.ts';

describe('hash verify', () => {
  it('exits 0 on a match and names the scheme', async () => {
    const hash = (await bcrypt.hash('pw-verify-1', 4)).replace('$2b$', '$2y$');
    const r = await runBin(['hash', 'verify', '--password', 'pw-verify-1', '--hash', hash]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('match (bcrypt)');
  });

  it('exits 1 on no match', async () => {
    const r = await runBin([
      'hash',
      'verify',
      '--password',
      'wrong',
      '--hash',
      '5f4dcc3b5aa765d61d8327deb882cf99',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('no match');
  });

  it('exits 2 with a clear message on a malformed hash, without echoing it', async () => {
    const r = await runBin(['hash', 'verify', '--password', 'x', '--hash', EXAMPLE_HASH]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('malformed bcrypt hash');
    expect(r.stderr + r.stdout).not.toContain(EXAMPLE_HASH);
  });

  it('tries both salt positions when a salt is given without a scheme', async () => {
    const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');
    const before = await runBin([
      'hash',
      'verify',
      '--password',
      'password',
      '--salt',
      'abc',
      '--hash',
      sha1('abcpassword'),
    ]);
    expect(before.code).toBe(0);
    expect(before.stdout).toContain('sha1(salt + password)');
    const after = await runBin([
      'hash',
      'verify',
      '--password',
      'password',
      '--salt',
      'abc',
      '--hash',
      sha1('passwordabc'),
    ]);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('sha1(password + salt)');
  });

  it('checks JSON lines from stdin, one answer per line', async () => {
    const input = [
      JSON.stringify({ password: 'password', hash: '5f4dcc3b5aa765d61d8327deb882cf99' }),
      JSON.stringify({ password: 'nope', hash: '5f4dcc3b5aa765d61d8327deb882cf99' }),
      JSON.stringify({ password: 'x', hash: 'garbage!' }),
      '{not json',
      JSON.stringify({ password: 'x', hash: 'abc', scheme: 'sha1(salt +' }),
    ].join('\n');
    const r = await runBin(['hash', 'verify', '--stdin'], { input });
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatchObject({ match: true });
    expect(lines[1]).toMatchObject({ match: false });
    expect(lines[2].error).toContain('line 3');
    expect(lines[3].error).toContain('not valid JSON');
    expect(lines[4].error).toContain('line 5');
    expect(r.code).toBe(2);
  });

  it('exits 2 with the usage when --hash is missing', async () => {
    const r = await runBin(['hash', 'verify', '--password', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--hash is required');
    expect(r.stderr).toContain('Usage: oidc-bridge hash verify');
  });
});

describe('hash identify', () => {
  it('finds a nested md5 with a salt and prints the config lines for it', async () => {
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    const hash = md5(md5('hunter2') + 'xy');
    const r = await runBin(['hash', 'identify', '--password', 'hunter2', '--salt', 'xy', '--hash', hash]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('scheme: md5(md5(password) + salt)');
    expect(r.stdout).toContain("password: { scheme: 'md5(md5(password) + salt)' }");
    expect(r.stdout).toContain('columns: { salt:');
  });

  it('exits 1 when no scheme matches', async () => {
    const r = await runBin([
      'hash',
      'identify',
      '--password',
      'other',
      '--hash',
      '5f4dcc3b5aa765d61d8327deb882cf99',
    ]);
    expect(r.code).toBe(1);
  });
});

describe("legacy check on the import guide's be_users table", () => {
  let db: TestDatabase;
  let configFile: string;
  const hash = bcrypt.hashSync('check-pass-1', 4).replace('$2b$', '$2y$');

  beforeAll(async () => {
    db = await createMariaDatabase();
    await loadBeUsers(
      db.url,
      `INSERT INTO be_users (id, first_name, last_name, username, email, password, gender, is_logged, created_at) VALUES (30001, 'Ayşe', 'Yılmaz', 'ayse', 'ayse@example.com', '${hash}', 'F', 0, '2020-01-02 03:04:05'), (30002, NULL, 'Kaya', 'nameless', 'nameless@example.com', '${hash}', 'F', 0, '2020-01-02 03:04:05')`,
    );
    const dir = mkdtempSync(join(tmpdir(), 'obt-check-'));
    configFile = join(dir, 'oidc-bridge.yaml');
    writeFileSync(
      configFile,
      `legacy:\n  connection: ${db.url}\n  table: be_users\ntarget:\n  type: http\n  url: http://127.0.0.1:9/api/users/import\n  password_algorithm: sha256\n`,
    );
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('reads the row, shows the mapping, verifies the password and previews the payload, writing nothing', async () => {
    const r = await runBin([
      'legacy',
      'check',
      '--config',
      configFile,
      '--user',
      'ayse',
      '--password',
      'check-pass-1',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Legacy row 30001 in be_users');
    expect(r.stdout).toContain('MATCHES (scheme bcrypt)');
    expect(r.stdout).toContain('"gender": "female"');
    expect(r.stdout).toContain('"customer_code": "30001"');
    expect(r.stdout).toContain('Nothing was written.');
    expect(r.stdout).not.toContain(hash);
  });

  it("shows why the import guide's example row would be rejected and that its hash is unusable", async () => {
    const r = await runBin([
      'legacy',
      'check',
      '--config',
      configFile,
      '--user',
      'testuser-bal',
      '--password',
      'anything',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('cannot be checked');
    expect(r.stdout).toContain('first_name');
    expect(r.stdout).not.toContain(EXAMPLE_HASH);
  });

  it('exits 1 when the password matches but the target would reject the payload', async () => {
    const r = await runBin([
      'legacy',
      'check',
      '--config',
      configFile,
      '--user',
      'nameless',
      '--password',
      'check-pass-1',
    ]);
    expect(r.stdout).toContain('MATCHES (scheme bcrypt)');
    expect(r.stdout).toContain('The target would reject it');
    expect(r.code).toBe(1);
  });

  it('exits 1 for an unknown user', async () => {
    const r = await runBin(['legacy', 'check', '--config', configFile, '--user', 'ghost', '--password', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('No row in be_users matches "ghost"');
  });
});

describe('hash identify, by application', () => {
  it("finds OpenCart's sha1(salt + sha1(salt + sha1(password))) with the given salt", async () => {
    const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');
    const hash = sha1(`k9${sha1(`k9${sha1('open-cart-1')}`)}`);
    const r = await runBin(['hash', 'identify', '--password', 'open-cart-1', '--salt', 'k9', '--hash', hash]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('scheme: sha1(salt + sha1(salt + sha1(password)))');
    expect(r.stdout).toContain('OpenCart');
    expect(r.stdout).toContain('columns: { salt:');
  });

  it('names WordPress 6.8 for a $wp$ hash and prints the config lines', async () => {
    const { createHmac } = await import('node:crypto');
    const key = createHmac('sha384', 'wp-sha384').update('wp-pass-6.8').digest('base64');
    const hash = `$wp${bcrypt.hashSync(key, 4)}`;
    const r = await runBin(['hash', 'identify', '--password', 'wp-pass-6.8', '--hash', hash]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('WordPress 6.8');
    expect(r.stdout).toContain('password: { scheme: auto }');
  });

  it("calls Django's !… password unusable by design, not an unknown format", async () => {
    const r = await runBin([
      'hash',
      'identify',
      '--password',
      'x',
      '--hash',
      '!qX3vT8mZ2pL9wR4nK7yB1cF6hJ0sD5gA8eU3iO2',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unusable by design');
  });

  it('uses --pepper, and refuses it for a scheme that never reads one', async () => {
    const hash = bcrypt.hashSync('devise-pw-1app-pepper', 4);
    const ok = await runBin([
      'hash',
      'verify',
      '--password',
      'devise-pw-1',
      '--pepper',
      'app-pepper',
      '--scheme',
      'bcrypt(password + pepper)',
      '--hash',
      hash,
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    const unused = await runBin([
      'hash',
      'verify',
      '--password',
      'devise-pw-1',
      '--pepper',
      'app-pepper',
      '--hash',
      hash,
    ]);
    expect(unused.code).toBe(2);
    expect(unused.stderr).toContain('pepper');
    expect(unused.stderr + unused.stdout).not.toContain(hash);
  });

  it('takes a pepper field in --stdin lines', async () => {
    const hash = bcrypt.hashSync('stdin-pw-1pep-1', 4);
    const input = JSON.stringify({
      password: 'stdin-pw-1',
      hash,
      pepper: 'pep-1',
      scheme: 'bcrypt(password + pepper)',
    });
    const r = await runBin(['hash', 'verify', '--stdin'], { input });
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ match: true });
  });
});
