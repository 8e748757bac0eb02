// Compositions that applications build from plain digests and bcrypt, with the application
// that writes each: what `hash identify` tries with the given salt and pepper when the stored
// value carries no prefix. Each is a scheme expression or a preset the registry verifies; this
// is a list of guesses for identification, not of formats (those are the registry's).

export interface Composition {
  scheme: string;
  application: string;
  /** The stored value's shape this composition produces. */
  shape: 'bcrypt' | 'hex16' | 'hex32' | 'hex40' | 'hex64' | 'hex128' | 'base64';
}

export const COMPOSITIONS: readonly Composition[] = [
  { scheme: 'bcrypt(md5(password))', application: 'vBulletin 5', shape: 'bcrypt' },
  { scheme: 'bcrypt(sha256(password))', application: 'Meteor accounts-password', shape: 'bcrypt' },
  { scheme: 'bcrypt(password + pepper)', application: 'Devise with a pepper (Rails)', shape: 'bcrypt' },
  {
    scheme: 'bcrypt(lower(salt) + password)',
    application: 'SMF 2.1 (salt = the member name)',
    shape: 'bcrypt',
  },
  {
    scheme: 'bcrypt(md5(password + salt))',
    application: 'a bcrypt-wrapped salted md5 (upgraded legacy table)',
    shape: 'bcrypt',
  },
  { scheme: 'sha1(salt + sha1(salt + sha1(password)))', application: 'OpenCart', shape: 'hex40' },
  { scheme: 'md5(md5(password) + salt)', application: 'vBulletin 3 / 4', shape: 'hex32' },
  { scheme: 'md5(md5(salt) + md5(password))', application: 'Invision Power Board 3, MyBB', shape: 'hex32' },
  {
    scheme: 'sha1(lower(salt) + password)',
    application: 'SMF 1.1 / 2.0 (salt = the member name)',
    shape: 'hex40',
  },
  { scheme: 'sha1(salt + sha1(password))', application: 'Redmine, PunBB', shape: 'hex40' },
  { scheme: 'sha256(sha256(password) + salt)', application: 'XenForo 1', shape: 'hex64' },
  { scheme: 'md5(pepper + password)', application: 'PrestaShop 1.6 (pepper = _COOKIE_KEY_)', shape: 'hex32' },
  {
    scheme: 'sha1(password + pepper)',
    application: 'Nextcloud / ownCloud before 8 (pepper = passwordsalt)',
    shape: 'hex40',
  },
  {
    scheme: 'hmac_sha256(pepper, password)',
    application: 'an HMAC-SHA256 keyed with the pepper',
    shape: 'hex64',
  },
  {
    scheme: 'hmac_sha256(salt, password)',
    application: 'an HMAC-SHA256 keyed with the salt',
    shape: 'hex64',
  },
  { scheme: 'hmac_md5(salt, password)', application: 'an HMAC-MD5 keyed with the salt', shape: 'hex32' },
  { scheme: 'hmac_sha1(salt, password)', application: 'an HMAC-SHA1 keyed with the salt', shape: 'hex40' },
  {
    scheme: 'md4(utf16le(password))',
    application: 'an NT hash (Windows, Samba, Active Directory export)',
    shape: 'hex32',
  },
  {
    scheme: `sha512(${'sha512('.repeat(19)}password + salt${')'.repeat(19)})`,
    application: 'Authlogic Sha512 (Rails), 20 rounds',
    shape: 'hex128',
  },
  { scheme: 'pbkdf2_sha256(password, salt, 10000, 50)', application: 'Gitea pbkdf2', shape: 'base64' },
  { scheme: 'mysql323', application: 'MySQL before 4.1, OLD_PASSWORD()', shape: 'hex16' },
  { scheme: 'symfony-message-digest', application: 'Symfony MessageDigestPasswordEncoder', shape: 'base64' },
  { scheme: 'aspnet-membership', application: 'ASP.NET Membership', shape: 'base64' },
  { scheme: 'rabbitmq', application: 'RabbitMQ', shape: 'base64' },
];

/** The shape of a stored value, for picking the compositions worth trying. */
export function shapeOf(stored: string): Composition['shape'] | undefined {
  if (/^\$2[abxy]\$\d\d\$/.test(stored)) return 'bcrypt';
  if (/^[0-9a-fA-F]+$/.test(stored)) {
    const byLength: Record<number, Composition['shape']> = {
      16: 'hex16',
      32: 'hex32',
      40: 'hex40',
      64: 'hex64',
      128: 'hex128',
    };
    return byLength[stored.length];
  }
  return /^[A-Za-z0-9+/]+={0,2}$/.test(stored) ? 'base64' : undefined;
}
