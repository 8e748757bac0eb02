// The demo's legacy user store, of the kind `--legacy` names: the be_users table in an
// embedded PostgreSQL (sql), the shop's own password check over HTTP in the Keycloak
// user-migration style (http), or an OpenLDAP directory run by slapd (ldap). The same users
// and passwords in each; the demo's legacy config section for it; and close() ends what it started.
import type { Knex } from 'knex';
import type { Logger } from '../logger.ts';
import { knexOn, openEmbeddedPostgres } from './embedded-postgres.ts';
import { createDemoLegacyDatabase, DEMO_TABLE, type DemoUser, demoProfiles } from './legacy-db.ts';
import { startLegacyApp } from './legacy-http.ts';
import type { DemoLegacyKind } from './legacy-kinds.ts';
import { ldapLegacyConfig, PEOPLE_DN, requireSlapd, startSlapd } from './slapd.ts';

export interface DemoLegacyStore {
  kind: DemoLegacyKind;
  /** Which store the demo runs, as a sentence part: "an embedded PostgreSQL, table be_users". */
  description: string;
  users: DemoUser[];
  /** The `legacy` config section on this store. */
  legacyConfig: Record<string, unknown>;
  /** kind sql: the seeded database the bridge reads. */
  knex?: Knex;
  close(): Promise<void>;
}

/** What the shop kept beside the password, named as in be_users, so every target reads it alike. */
const SHOP_FIELDS = ['gender', 'birthday', 'accept_notifications', 'created_at'] as const;

// The directory's auxiliary class for those values, in OpenLDAP's experimental OID arc.
const SHOP_SCHEMA = `attributetype ( 1.3.6.1.4.1.4203.666.200.1 NAME 'shopGender' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.4203.666.200.2 NAME 'shopBirthday' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.4203.666.200.3 NAME 'shopAcceptNotifications' EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.4203.666.200.4 NAME 'shopCreatedAt' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.4203.666.200.100 NAME 'demoShopPerson' AUXILIARY MAY ( shopGender $ shopBirthday $ shopAcceptNotifications $ shopCreatedAt ) )
`;
const LDAP_ATTRIBUTES: Record<(typeof SHOP_FIELDS)[number], string> = {
  gender: 'shopGender',
  birthday: 'shopBirthday',
  accept_notifications: 'shopAcceptNotifications',
  created_at: 'shopCreatedAt',
};

async function sqlStore(logger: Logger, env: NodeJS.ProcessEnv): Promise<DemoLegacyStore> {
  const db = await createDemoLegacyDatabase(knexOn(await openEmbeddedPostgres(logger, env)));
  return {
    kind: 'sql',
    description: `an embedded PostgreSQL, table ${DEMO_TABLE}`,
    users: db.users,
    legacyConfig: {
      connection: 'pglite:memory',
      table: DEMO_TABLE,
      identifiers: ['username', 'email'],
      columns: { id: 'id', password: 'password', salt: 'salt' },
      password: { scheme: 'auto' },
    },
    knex: db.knex,
    close: () => db.close(),
  };
}

async function httpStore(): Promise<DemoLegacyStore> {
  const profiles = demoProfiles();
  const app = await startLegacyApp(
    profiles.map((p) => ({
      id: p.id,
      username: p.username,
      email: p.email,
      password: p.password,
      firstName: p.firstName,
      lastName: p.lastName,
      profile: {
        gender: p.gender,
        birthday: p.birthday,
        accept_notifications: p.acceptNotifications,
        created_at: p.createdAt,
      },
    })),
  );
  const url = `${app.url}/users`;
  return {
    kind: 'http',
    description: `the shop's own password check over HTTP at ${url} (the Keycloak user-migration API)`,
    users: profiles.map((p) => ({
      ...pick(p),
      scheme: 'checked by the shop over HTTP (GET the user, POST the password)',
    })),
    legacyConfig: {
      kind: 'http',
      http: { style: 'user-migration', url, id_field: 'id', identifier_fields: ['username', 'email'] },
      fields: { first_name: { column: 'firstName' }, last_name: { column: 'lastName' } },
      claims: {
        email: 'email',
        given_name: 'firstName',
        family_name: 'lastName',
        preferred_username: 'username',
      },
    },
    close: () => app.close(),
  };
}

async function ldapStore(): Promise<DemoLegacyStore> {
  requireSlapd();
  const profiles = demoProfiles();
  const slapd = await startSlapd(
    profiles.map((p) => ({
      uid: p.username,
      mail: p.email,
      givenName: p.firstName,
      sn: p.lastName,
      password: p.password,
      objectClasses: ['demoShopPerson'],
      attributes: {
        employeeNumber: String(p.id),
        shopGender: p.gender,
        shopBirthday: p.birthday,
        shopAcceptNotifications: String(p.acceptNotifications),
        shopCreatedAt: p.createdAt,
      },
    })),
    { schema: SHOP_SCHEMA },
  );
  return {
    kind: 'ldap',
    description: `an OpenLDAP directory (slapd) at ${slapd.url}, ${PEOPLE_DN}`,
    users: profiles.map((p) => ({
      ...pick(p),
      scheme: 'userPassword {SSHA}; the bridge binds as the user',
    })),
    legacyConfig: {
      ...ldapLegacyConfig(slapd, { id_attribute: 'employeeNumber' }),
      fields: {
        first_name: { column: 'givenName' },
        last_name: { column: 'sn' },
        username: { column: 'uid' },
        email: { column: 'mail' },
        ...Object.fromEntries(SHOP_FIELDS.map((f) => [f, { column: LDAP_ATTRIBUTES[f] }])),
      },
    },
    close: () => slapd.stop(),
  };
}

function pick(p: DemoUser): Omit<DemoUser, 'scheme'> {
  return {
    id: p.id,
    username: p.username,
    email: p.email,
    password: p.password,
    firstName: p.firstName,
    lastName: p.lastName,
  };
}

export async function startDemoLegacy(
  kind: DemoLegacyKind,
  opts: { logger: Logger; env: NodeJS.ProcessEnv },
): Promise<DemoLegacyStore> {
  if (kind === 'http') return httpStore();
  if (kind === 'ldap') return ldapStore();
  return sqlStore(opts.logger, opts.env);
}
