// The demo's legacy user database: an in-memory PGlite holding the import guide's example be_users table
// (plus a salt column) with one user per hash format a real legacy table tends to hold.
// The hashes are computed at start from the passwords printed beside them, so they are real.
import { createHash, pbkdf2, randomBytes, randomInt } from 'node:crypto';
import { promisify } from 'node:util';
import bcrypt from 'bcrypt';
import type { Knex } from 'knex';

const pbkdf2Async = promisify(pbkdf2);

export const DEMO_TABLE = 'be_users';

export interface DemoUser {
  id: number;
  username: string;
  email: string;
  password: string;
  firstName: string;
  lastName: string;
  /** How the legacy application stored the password, as a person would say it. */
  scheme: string;
}

/** A demo user with the shop's other be_users values, which every demo legacy kind serves. */
export interface DemoProfile extends DemoUser {
  gender: 'M' | 'F';
  birthday: string;
  acceptNotifications: 0 | 1;
  createdAt: string;
}

interface Seed extends DemoProfile {
  hash(password: string): Promise<{ password: string; salt: string | null }>;
}

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function alphanumeric(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return out;
}

const hex = (algorithm: string, text: string) => createHash(algorithm).update(text, 'utf8').digest('hex');

// Django 3.2's default work factor: realistic, and quick enough for a demo login.
const DJANGO_ITERATIONS = 260_000;

const SEEDS: Seed[] = [
  {
    id: 28801,
    username: 'ayse',
    email: 'ayse.yilmaz@example.com',
    password: 'demo-bcrypt',
    firstName: 'Ayşe',
    lastName: 'Yılmaz',
    scheme: 'bcrypt $2y$ (PHP password_hash, cost 10)',
    gender: 'F',
    birthday: '1990-05-17 00:00:00',
    acceptNotifications: 1,
    createdAt: '2019-03-14 09:26:53',
    // PHP writes $2y$; the bcrypt package writes $2b$, the same algorithm under another name.
    hash: async (p) => ({ password: (await bcrypt.hash(p, 10)).replace(/^\$2b\$/, '$2y$'), salt: null }),
  },
  {
    id: 28802,
    username: 'mehmet',
    email: 'mehmet.demir@example.com',
    password: 'demo-md5',
    firstName: 'Mehmet',
    lastName: 'Demir',
    scheme: 'md5(password), unsalted hex',
    gender: 'M',
    birthday: '1984-11-02 00:00:00',
    acceptNotifications: 0,
    createdAt: '2016-08-01 17:45:10',
    hash: async (p) => ({ password: hex('md5', p), salt: null }),
  },
  {
    id: 28803,
    username: 'zeynep',
    email: 'zeynep.kaya@example.com',
    password: 'demo-sha1',
    firstName: 'Zeynep',
    lastName: 'Kaya',
    scheme: 'sha1(salt + password), salt column',
    gender: 'F',
    birthday: '1996-02-29 00:00:00',
    acceptNotifications: 1,
    createdAt: '2020-01-20 08:00:00',
    hash: async (p) => {
      const salt = randomBytes(8).toString('hex');
      return { password: hex('sha1', salt + p), salt };
    },
  },
  {
    id: 28804,
    username: 'can',
    email: 'can.ozturk@example.com',
    password: 'demo-sha256',
    firstName: 'Can',
    lastName: 'Öztürk',
    scheme: 'sha256(password + salt), salt column',
    gender: 'M',
    birthday: '1979-07-08 00:00:00',
    acceptNotifications: 0,
    createdAt: '2018-12-24 23:59:59',
    hash: async (p) => {
      const salt = alphanumeric(16);
      return { password: hex('sha256', p + salt), salt };
    },
  },
  {
    id: 28805,
    username: 'elif',
    email: 'elif.sahin@example.com',
    password: 'demo-django',
    firstName: 'Elif',
    lastName: 'Şahin',
    scheme: `Django pbkdf2_sha256 (${DJANGO_ITERATIONS.toLocaleString('en')} iterations)`,
    gender: 'F',
    birthday: '2001-09-30 00:00:00',
    acceptNotifications: 1,
    createdAt: '2022-06-05 12:30:00',
    hash: async (p) => {
      const salt = alphanumeric(22);
      const key = await pbkdf2Async(p, salt, DJANGO_ITERATIONS, 32, 'sha256');
      return { password: `pbkdf2_sha256$${DJANGO_ITERATIONS}$${salt}$${key.toString('base64')}`, salt: null };
    },
  },
];

/** The demo users and their values, without the stored hashes (the http and ldap demos' own). */
export function demoProfiles(): DemoProfile[] {
  return SEEDS.map(({ hash: _hash, ...profile }) => ({ ...profile }));
}

// The import guide's example be_users, in PostgreSQL types. Two changes: password is wider than the import guide's
// varchar(60), which fits bcrypt but not a Django hash, and salt holds the digests' salts.
const SCHEMA = `
create table ${DEMO_TABLE} (
  id integer primary key,
  first_name varchar(255),
  last_name varchar(255),
  username varchar(255) not null unique,
  email varchar(255) not null unique,
  password varchar(255) not null,
  salt varchar(64),
  gender char(1) not null check (gender in ('M', 'F')),
  birthday timestamp,
  accept_notifications smallint,
  accept_sharing smallint,
  accept_personal_data smallint,
  remember_token varchar(100),
  is_logged smallint not null default 0,
  created_at timestamp,
  updated_at timestamp
)`;

export interface DemoLegacyDatabase {
  knex: Knex;
  users: DemoUser[];
  close(): Promise<void>;
}

/** Creates and fills the legacy table in an empty database; destroys `db` if that fails. */
export async function createDemoLegacyDatabase(db: Knex): Promise<DemoLegacyDatabase> {
  try {
    const [hashes] = await Promise.all([Promise.all(SEEDS.map((s) => s.hash(s.password))), db.raw(SCHEMA)]);
    await db(DEMO_TABLE).insert(
      SEEDS.map((s, i) => ({
        id: s.id,
        first_name: s.firstName,
        last_name: s.lastName,
        username: s.username,
        email: s.email,
        password: hashes[i]!.password,
        salt: hashes[i]!.salt,
        gender: s.gender,
        birthday: s.birthday,
        accept_notifications: s.acceptNotifications,
        accept_sharing: 0,
        accept_personal_data: 1,
        created_at: s.createdAt,
        updated_at: s.createdAt,
      })),
    );
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return {
    knex: db,
    users: SEEDS.map(({ id, username, email, password, firstName, lastName, scheme }) => ({
      id,
      username,
      email,
      password,
      firstName,
      lastName,
      scheme,
    })),
    close: () => db.destroy(),
  };
}
