// The compose stack's legacy database, built the way the MariaDB image builds it: the init
// SQL through the mariadb client and the init shell script sourced with docker_process_sql.
// Then the playbook's first steps against it, with deploy/oidc-bridge.yaml as it ships:
// `hash identify` and `legacy check` for the documented test user and for the example row.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/bridge.ts';
import { runBin } from '../support/cli.ts';
import {
  createMariaDatabase,
  createPgDatabase,
  MARIADB_ADMIN_URL,
  type TestDatabase,
} from '../support/databases.ts';
import { REPO } from './image.ts';

const INITDB = join(REPO, 'deploy/mariadb/initdb');
const TEST_USER = { username: 'testuser', email: 'testuser@example.com', password: 'Welcome-2024' };
const CLIENT = ['mariadb', 'mysql'].find(
  (c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0,
);

const admin = new URL(MARIADB_ADMIN_URL);
const clientArgs = [
  '--protocol=tcp',
  `--host=${admin.hostname}`,
  `--port=${admin.port || 3306}`,
  `--user=${decodeURIComponent(admin.username)}`,
  ...(admin.password ? [`--password=${decodeURIComponent(admin.password)}`] : []),
];

let legacy: TestDatabase;
let store: TestDatabase;
const readOnly = { user: `ro_${process.pid}_${Date.now() % 100000}`, password: 'read-only-password' };

// Ports nothing listens on: these commands read the config and never reach the target, and
// the demo's defaults (3000, 4000) may be taken by a demo running beside the tests.
let bridgePort = 0;
let targetPort = 0;

beforeAll(async () => {
  bridgePort = await freePort();
  targetPort = await freePort();
  legacy = await createMariaDatabase('obt_deploy');
  store = await createPgDatabase('obt_deploy');
  if (!CLIENT) return;
  // What the image's entrypoint does with docker-entrypoint-initdb.d, file by file.
  for (const file of ['001-be-users.sql', '001-test-user.sql']) {
    execFileSync(CLIENT, [...clientArgs, legacy.name], { input: readFileSync(join(INITDB, file)) });
  }
  execFileSync(
    'bash',
    ['-c', `docker_process_sql() { ${CLIENT} ${clientArgs.join(' ')} "$@"; }; . ./002-read-only-user.sh`],
    {
      cwd: INITDB,
      env: {
        ...process.env,
        LEGACY_DB_USER: readOnly.user,
        LEGACY_DB_PASSWORD: readOnly.password,
        MARIADB_DATABASE: legacy.name,
      },
    },
  );
});

afterAll(async () => {
  if (CLIENT) execFileSync(CLIENT, [...clientArgs, '-e', `DROP USER IF EXISTS '${readOnly.user}'@'%'`]);
  await legacy?.drop();
  await store?.drop();
});

/** The environment Compose gives the bridge, pointed at this machine's servers. */
function bridgeEnv(): NodeJS.ProcessEnv {
  return {
    OIDC_BRIDGE_KEY: 'deploy-test-key-encryption-key-0123456789',
    BRIDGE_ISSUER: `http://localhost:${bridgePort}`,
    STORE_URL: store.url,
    LEGACY_URL: `mysql://${readOnly.user}:${readOnly.password}@${admin.hostname}:${admin.port || 3306}/${legacy.name}`,
    TARGET_URL: `http://127.0.0.1:${targetPort}/api/users/import`,
    TARGET_TOKEN: 'token',
  };
}

const config = join(REPO, 'deploy/oidc-bridge.yaml');

describe.skipIf(!CLIENT)('the legacy database of the compose stack', () => {
  it('holds the example row and the documented test user after the init scripts', async () => {
    const conn = await mysql.createConnection({ uri: legacy.url });
    try {
      const [rows] = await conn.query('SELECT id, username, email FROM be_users ORDER BY id');
      expect(rows).toEqual([
        { id: 28774, username: 'testuser-bal', email: 'testuser-bal@example.com' },
        { id: 28775, username: TEST_USER.username, email: TEST_USER.email },
      ]);
    } finally {
      await conn.end();
    }
  });

  it('keeps the init shell script non-executable, so the entrypoint sources it', () => {
    expect(statSync(join(INITDB, '002-read-only-user.sh')).mode & 0o111).toBe(0);
  });

  it("gives the bridge's account SELECT on be_users and no right to write", async () => {
    const conn = await mysql.createConnection({
      host: admin.hostname,
      port: Number(admin.port || 3306),
      user: readOnly.user,
      password: readOnly.password,
      database: legacy.name,
    });
    try {
      const [rows] = await conn.query('SELECT COUNT(*) AS n FROM be_users');
      expect(rows).toEqual([{ n: 2 }]);
      await expect(conn.query("UPDATE be_users SET first_name = 'x'")).rejects.toMatchObject({
        code: 'ER_TABLEACCESS_DENIED_ERROR',
      });
    } finally {
      await conn.end();
    }
  });

  it('`hash identify` names bcrypt for the test user and prints the config lines', async () => {
    const conn = await mysql.createConnection({ uri: legacy.url });
    let hash: string;
    try {
      const [rows] = await conn.query('SELECT password FROM be_users WHERE username = ?', [
        TEST_USER.username,
      ]);
      hash = (rows as Array<{ password: string }>)[0]!.password;
    } finally {
      await conn.end();
    }
    const r = await runBin(['hash', 'identify', '--password', TEST_USER.password, '--hash', hash]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('scheme: bcrypt');
    expect(r.stdout).toContain('legacy:');
  });

  it('`legacy check` with deploy/oidc-bridge.yaml matches the documented password and previews the payload', async () => {
    const r = await runBin(
      ['legacy', 'check', '--config', config, '--user', TEST_USER.username, '--password', TEST_USER.password],
      {
        env: bridgeEnv(),
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Password: MATCHES (scheme bcrypt)');
    expect(r.stdout).toContain('"customer_code": "28775"');
    expect(r.stdout).toContain('Nothing was written.');
    expect(r.stdout).not.toContain('$2y$10$');
  });

  it("`legacy check` explains that the import guide's example row cannot log in: its bcrypt value is cut short", async () => {
    const r = await runBin(
      ['legacy', 'check', '--config', config, '--user', 'testuser-bal', '--password', 'anything'],
      {
        env: bridgeEnv(),
      },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/cannot be checked: malformed bcrypt hash/);
  });
});
