// A real OpenLDAP server for the ldap source tests: slapd from Debian, started on a free
// port with its own configuration, database and TLS certificate in a temporary directory,
// loaded with ldapadd. Never a mock. Stopped by the test that started it.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './bridge.ts';

export const BASE_DN = 'dc=example,dc=com';
export const ADMIN_DN = `cn=admin,${BASE_DN}`;
export const ADMIN_PASSWORD = 'admin-secret';
export const SERVICE_DN = `cn=bridge,${BASE_DN}`;
export const SERVICE_PASSWORD = 'bridge-secret';

export interface DirectoryUser {
  uid: string;
  mail: string;
  givenName: string;
  sn: string;
  password: string;
  disabled?: boolean;
}

export interface Slapd {
  url: string;
  ldapsUrl: string;
  /** The PEM of the self-signed CA that signed the server certificate. */
  caFile: string;
  stop(): Promise<void>;
}

function waitForPort(port: number, deadline: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`slapd did not listen on ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export async function startSlapd(users: DirectoryUser[]): Promise<Slapd> {
  const dir = mkdtempSync(join(tmpdir(), 'slapd-'));
  mkdirSync(join(dir, 'db'));
  const key = join(dir, 'server.key');
  const cert = join(dir, 'server.crt');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-keyout',
      key,
      '-out',
      cert,
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  const hash = (pw: string) => execFileSync('slappasswd', ['-s', pw]).toString().trim();
  writeFileSync(
    join(dir, 'slapd.conf'),
    `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
pidfile ${dir}/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCertificateFile ${cert}
TLSCertificateKeyFile ${key}
database mdb
maxsize 10485760
suffix "${BASE_DN}"
rootdn "${ADMIN_DN}"
rootpw ${hash(ADMIN_PASSWORD)}
directory ${dir}/db
access to attrs=userPassword by self write by anonymous auth by dn.exact="${SERVICE_DN}" read by * none
access to * by dn.exact="${SERVICE_DN}" read by self read by anonymous auth by * none
`,
  );
  const port = await freePort();
  const ldapsPort = await freePort();
  const child: ChildProcess = spawn(
    '/usr/sbin/slapd',
    [
      '-f',
      join(dir, 'slapd.conf'),
      '-h',
      `ldap://127.0.0.1:${port}/ ldaps://127.0.0.1:${ldapsPort}/`,
      '-d',
      '0',
    ],
    { stdio: 'ignore' },
  );
  await waitForPort(port, Date.now() + 10_000);
  const entries = [
    `dn: ${BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example`,
    `dn: ${SERVICE_DN}\nobjectClass: simpleSecurityObject\nobjectClass: organizationalRole\ncn: bridge\nuserPassword: ${hash(SERVICE_PASSWORD)}`,
    `dn: ou=people,${BASE_DN}\nobjectClass: organizationalUnit\nou: people`,
    ...users.map(
      (u) =>
        `dn: uid=${u.uid},ou=people,${BASE_DN}\nobjectClass: inetOrgPerson\nuid: ${u.uid}\ncn: ${u.givenName} ${u.sn}\ngivenName: ${u.givenName}\nsn: ${u.sn}\nmail: ${u.mail}\nuserPassword: ${hash(u.password)}${u.disabled ? '\nemployeeType: disabled' : ''}`,
    ),
  ];
  writeFileSync(join(dir, 'seed.ldif'), `${entries.join('\n\n')}\n`);
  execFileSync(
    'ldapadd',
    [
      '-x',
      '-H',
      `ldap://127.0.0.1:${port}`,
      '-D',
      ADMIN_DN,
      '-w',
      ADMIN_PASSWORD,
      '-f',
      join(dir, 'seed.ldif'),
    ],
    {
      stdio: 'ignore',
    },
  );
  return {
    url: `ldap://127.0.0.1:${port}`,
    ldapsUrl: `ldaps://127.0.0.1:${ldapsPort}`,
    caFile: cert,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The `legacy` section of an ldap source on this directory, as the tests use it. */
export function ldapLegacyConfig(slapd: Slapd, ldap: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'ldap',
    ldap: {
      url: slapd.url,
      bind_dn: SERVICE_DN,
      bind_password: SERVICE_PASSWORD,
      base_dn: `ou=people,${BASE_DN}`,
      id_attribute: 'uid',
      disabled_filter: '(employeeType=disabled)',
      ...ldap,
    },
    claims: { email: 'mail', given_name: 'givenName', family_name: 'sn', preferred_username: 'uid' },
  };
}
