// A real OpenLDAP server, for the demo's `--legacy ldap` and the ldap source tests alike:
// Debian's slapd started on a free port with its own configuration, database and TLS
// certificate in a temporary directory, loaded with ldapadd. stop() ends slapd and removes
// the directory, so nothing is left running or on disk.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.ts';
import { freePort } from '../util/free-port.ts';

export const BASE_DN = 'dc=example,dc=com';
export const PEOPLE_DN = `ou=people,${BASE_DN}`;
export const ADMIN_DN = `cn=admin,${BASE_DN}`;
export const ADMIN_PASSWORD = 'admin-secret';
export const SERVICE_DN = `cn=bridge,${BASE_DN}`;
export const SERVICE_PASSWORD = 'bridge-secret';

const SLAPD = '/usr/sbin/slapd';

export interface DirectoryUser {
  uid: string;
  mail: string;
  givenName: string;
  sn: string;
  password: string;
  /** Marked `employeeType: disabled`, which the tests' disabled_filter matches. */
  disabled?: boolean;
  /** More object classes of the entry (from `schema`), beside inetOrgPerson. */
  objectClasses?: string[];
  /** More attributes of the entry; a Buffer is written as binary. */
  attributes?: Record<string, string | Buffer | Array<string | Buffer>>;
}

export interface SlapdOptions {
  /** Schema text (attributetype / objectclass lines) loaded after the standard schemas. */
  schema?: string;
  /** `limits` lines of the database, e.g. a size limit for the service account. */
  limits?: string;
}

export interface Slapd {
  url: string;
  ldapsUrl: string;
  /** The PEM of the self-signed CA that signed the server certificate. */
  caFile: string;
  stop(): Promise<void>;
}

/** The programs startSlapd runs: Debian's slapd and ldap-utils. */
const TOOLS = [SLAPD, '/usr/sbin/slappasswd', '/usr/bin/ldapadd'];

/** Throws a UsageError saying what to install when slapd or ldap-utils are missing. */
export function requireSlapd(tools: readonly string[] = TOOLS): void {
  const missing = tools.filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new UsageError(
      `The LDAP legacy source needs OpenLDAP's slapd and ldap-utils (${missing.join(', ')} not found). Fix: apt-get install slapd ldap-utils, or run the demo with --legacy sql or --legacy http.`,
    );
  }
}

function waitForPort(port: number, deadline: number, exited: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (exited()) reject(new Error('slapd exited before it listened'));
        else if (Date.now() > deadline) reject(new Error(`slapd did not listen on ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** RFC 2849: a value that is not plain ASCII text is written base64, after `::`. */
function ldifLine(name: string, value: string | Buffer): string {
  const text = typeof value === 'string' ? value : undefined;
  if (text !== undefined && /^[\x21-\x39\x3b\x3d-\x7e][\x20-\x7e]*$/.test(text)) return `${name}: ${text}`;
  return `${name}:: ${Buffer.from(value).toString('base64')}`;
}

function userEntry(u: DirectoryUser, hash: string): string {
  const lines = [
    ldifLine('dn', `uid=${u.uid},${PEOPLE_DN}`),
    'objectClass: inetOrgPerson',
    ...(u.objectClasses ?? []).map((c) => `objectClass: ${c}`),
    ldifLine('uid', u.uid),
    ldifLine('cn', `${u.givenName} ${u.sn}`),
    ldifLine('givenName', u.givenName),
    ldifLine('sn', u.sn),
    ldifLine('mail', u.mail),
    `userPassword: ${hash}`,
    ...(u.disabled ? ['employeeType: disabled'] : []),
  ];
  for (const [name, value] of Object.entries(u.attributes ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) lines.push(ldifLine(name, v));
  }
  return lines.join('\n');
}

export async function startSlapd(users: DirectoryUser[], opts: SlapdOptions = {}): Promise<Slapd> {
  requireSlapd();
  const dir = mkdtempSync(join(tmpdir(), 'slapd-'));
  let child: ChildProcess | undefined;
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
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
    if (opts.schema) writeFileSync(join(dir, 'extra.schema'), opts.schema);
    writeFileSync(
      join(dir, 'slapd.conf'),
      `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
${opts.schema ? `include ${dir}/extra.schema\n` : ''}pidfile ${dir}/slapd.pid
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
${opts.limits ? `${opts.limits}\n` : ''}access to attrs=userPassword by self write by anonymous auth by dn.exact="${SERVICE_DN}" read by * none
access to * by dn.exact="${SERVICE_DN}" read by self read by anonymous auth by * none
`,
    );
    const port = await freePort();
    const ldapsPort = await freePort();
    child = spawn(
      SLAPD,
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
    const started = child;
    await waitForPort(port, Date.now() + 10_000, () => started.exitCode !== null);
    const entries = [
      `dn: ${BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example`,
      `dn: ${SERVICE_DN}\nobjectClass: simpleSecurityObject\nobjectClass: organizationalRole\ncn: bridge\nuserPassword: ${hash(SERVICE_PASSWORD)}`,
      `dn: ${PEOPLE_DN}\nobjectClass: organizationalUnit\nou: people`,
      ...users.map((u) => userEntry(u, hash(u.password))),
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
      { stdio: 'ignore' },
    );
    return {
      url: `ldap://127.0.0.1:${port}`,
      ldapsUrl: `ldaps://127.0.0.1:${ldapsPort}`,
      caFile: cert,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The `legacy` section of an ldap source on this directory, as the demo and the tests use it. */
export function ldapLegacyConfig(slapd: Slapd, ldap: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'ldap',
    ldap: {
      url: slapd.url,
      bind_dn: SERVICE_DN,
      bind_password: SERVICE_PASSWORD,
      base_dn: PEOPLE_DN,
      id_attribute: 'uid',
      disabled_filter: '(employeeType=disabled)',
      ...ldap,
    },
    claims: { email: 'mail', given_name: 'givenName', family_name: 'sn', preferred_username: 'uid' },
  };
}
