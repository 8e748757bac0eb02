// The one ordered list of legacy password verifiers, most specific format first, and the
// operations built on it: detect a stored hash's scheme, verify a password (auto-detected,
// by a verifier id or preset, or by a scheme expression), identify which scheme a known
// password and hash use, make the decoy of a scheme, check a configured scheme at start, and
// tell which stored hashes the target platform can import as they are.

import { SchemeExpressionError, UnusableHashError } from '../errors.ts';
import { argon2Verifier } from './argon2.ts';
import { aspnetIdentityVerifier } from './aspnet-identity.ts';
import { aspnetMembershipVerifier } from './aspnet-membership.ts';
import { atlassianVerifier } from './atlassian.ts';
import { bareDigestVerifier, parseBareDigest } from './bare-digest.ts';
import { bcryptDecoy, bcryptVerifier } from './bcrypt.ts';
import { colonSaltedVerifier } from './colon-salted.ts';
import { COMPOSITIONS, shapeOf } from './compositions.ts';
import { randomChecksum } from './decoy.ts';
import { desCryptVerifier } from './des-crypt.ts';
import { DIGEST_ALGORITHMS, type DigestAlgorithm } from './digests.ts';
import { djangoArgon2Verifier } from './django-argon2.ts';
import { djangoBcryptVerifier } from './django-bcrypt.ts';
import { createDjangoCryptVerifier } from './django-crypt.ts';
import { djangoPbkdf2Verifier } from './django-pbkdf2.ts';
import { djangoScryptVerifier } from './django-scrypt.ts';
import { djangoUnusableVerifier, UNUSABLE_BY_DESIGN } from './django-unusable.ts';
import { drupalVerifier } from './drupal.ts';
import { firebaseScryptVerifier } from './firebase-scrypt.ts';
import { jenkinsVerifier } from './jenkins.ts';
import { keycloakVerifier } from './keycloak.ts';
import { ldapVerifier } from './ldap.ts';
import { ldapPbkdf2Verifier } from './ldap-pbkdf2.ts';
import { createLdapWrappedVerifier } from './ldap-wrapped.ts';
import { magento2Verifier } from './magento2.ts';
import { md5CryptVerifier } from './md5-crypt.ts';
import { mediawikiVerifier } from './mediawiki.ts';
import { mssqlVerifier } from './mssql.ts';
import { mysqlVerifier } from './mysql.ts';
import { mysql323Verifier } from './mysql323.ts';
import { createNextcloudVerifier } from './nextcloud.ts';
import { ntHashVerifier } from './nt-hash.ts';
import { oracleVerifier } from './oracle.ts';
import { passlibBcryptSha256Verifier } from './passlib-bcrypt-sha256.ts';
import { passlibScryptVerifier } from './passlib-scrypt.ts';
import { pbkdf2Verifier } from './pbkdf2.ts';
import { phpassVerifier } from './phpass.ts';
import { postgresMd5Verifier, postgresScramVerifier } from './postgres.ts';
import { rabbitmqVerifier } from './rabbitmq.ts';
import { saltedDigestVerifier, werkzeugLegacyVerifier } from './salted-digest.ts';
import {
  expressionSize,
  expressionTargetForm,
  looksLikeExpression,
  parseSchemeExpression,
  type SchemeExpression,
  verifyExpression,
} from './scheme-expression.ts';
import { scryptCryptVerifier } from './scrypt-crypt.ts';
import { shaCryptVerifier } from './sha-crypt.ts';
import { sha1CryptVerifier } from './sha1-crypt.ts';
import { inHashSlot } from './slots.ts';
import { createSpringVerifier } from './spring.ts';
import { sunMd5Verifier } from './sun-md5.ts';
import { symfonyMessageDigestVerifier } from './symfony-message-digest.ts';
import { outcomeOf, type TargetPasswordForm, type Verifier } from './types.ts';
import { werkzeugVerifier } from './werkzeug.ts';
import { wordpressVerifier } from './wordpress.ts';
import { yescryptVerifier } from './yescrypt.ts';

export { hashBridgePassword, verifyBridgePassword } from './bridge-hash.ts';
export { closeWorkerPool } from './worker-pool.ts';

const inner = () => verifiers;

/**
 * Prefixed formats first; the prefix-less ones last, the presets (never detected) before
 * the bare digest at the very end, since it claims any hex or base64 string of a digest's length.
 */
export const verifiers: readonly Verifier[] = [
  djangoUnusableVerifier,
  bcryptVerifier,
  wordpressVerifier,
  argon2Verifier,
  yescryptVerifier,
  shaCryptVerifier,
  md5CryptVerifier,
  phpassVerifier,
  drupalVerifier,
  pbkdf2Verifier,
  passlibBcryptSha256Verifier,
  passlibScryptVerifier,
  scryptCryptVerifier,
  ntHashVerifier,
  sha1CryptVerifier,
  sunMd5Verifier,
  firebaseScryptVerifier,
  djangoPbkdf2Verifier,
  djangoBcryptVerifier,
  djangoArgon2Verifier,
  djangoScryptVerifier,
  createDjangoCryptVerifier(inner),
  werkzeugVerifier,
  mediawikiVerifier,
  createNextcloudVerifier(inner),
  jenkinsVerifier,
  keycloakVerifier,
  postgresScramVerifier,
  postgresMd5Verifier,
  mssqlVerifier,
  oracleVerifier,
  createSpringVerifier(inner),
  atlassianVerifier,
  ldapPbkdf2Verifier,
  createLdapWrappedVerifier(inner),
  ldapVerifier,
  mysqlVerifier,
  magento2Verifier,
  colonSaltedVerifier,
  saltedDigestVerifier,
  aspnetIdentityVerifier,
  desCryptVerifier,
  werkzeugLegacyVerifier,
  symfonyMessageDigestVerifier,
  aspnetMembershipVerifier,
  rabbitmqVerifier,
  mysql323Verifier,
  bareDigestVerifier,
];

/** The verifier that auto-detection picks for a stored value (presets are never picked). */
export function detectScheme(stored: string, salt?: string): Verifier | undefined {
  return verifiers.find((v) => !v.presetOnly && v.detect(stored, salt));
}

/** A verifier or preset by its id. */
export function verifierById(id: string): Verifier | undefined {
  return verifiers.find((v) => v.id === id);
}

export interface VerifyPasswordOptions {
  password: string;
  stored: string;
  salt?: string | undefined;
  /** `legacy.password.pepper`: an application-wide secret some compositions mix in. */
  pepper?: string | undefined;
  /** `auto` (default), a verifier id or preset such as `bcrypt`, or an expression such as `sha1(salt + password)`. */
  scheme?: string | undefined;
}

export interface VerifyPasswordResult {
  match: boolean;
  /** The verifier id, or for prefix-less digests the expression that was checked. */
  scheme: string;
}

const given = (value: string | undefined) => value !== undefined && value !== '';

/** Refuses a salt or pepper a scheme never reads, and the lack of one it needs: never a verdict. */
function checkInputs(
  id: string,
  label: string,
  uses: { salt: string; pepper: string },
  salt: boolean,
  pepper: boolean,
) {
  if (salt && uses.salt === 'never') {
    throw new UnusableHashError(
      'salt_unused',
      `a salt was given, but ${label} carries its own salt and never reads one. Fix: if the application mixes that column in before hashing, set legacy.password.scheme to the composition (e.g. bcrypt(lower(salt) + password)); otherwise remove legacy.columns.salt`,
      id,
    );
  }
  if (!salt && uses.salt === 'required') {
    throw new UnusableHashError(
      'salt_missing',
      `${label} needs the salt kept apart. Fix: set legacy.columns.salt (or --salt)`,
      id,
    );
  }
  if (pepper && uses.pepper === 'never') {
    throw new UnusableHashError(
      'pepper_unused',
      `a pepper is configured, but ${label} never reads one. Fix: set legacy.password.scheme to the composition that uses it (e.g. bcrypt(password + pepper)), or remove legacy.password.pepper`,
      id,
    );
  }
  if (!pepper && uses.pepper === 'required') {
    throw new UnusableHashError(
      'pepper_missing',
      `${label} needs the application's secret. Fix: set legacy.password.pepper (or --pepper)`,
      id,
    );
  }
}

function expressionUses(expression: SchemeExpression) {
  return {
    salt: expression.usesSalt ? 'required' : 'never',
    pepper: expression.usesPepper ? 'required' : 'never',
  };
}

function parseScheme(
  scheme: string,
): { expression: SchemeExpression } | { verifier: Verifier } | { auto: true } {
  if (scheme === 'auto') return { auto: true };
  if (looksLikeExpression(scheme)) return { expression: parseSchemeExpression(scheme) };
  const verifier = verifierById(scheme);
  if (!verifier) {
    throw new UnusableHashError(
      'unknown_scheme',
      'the configured scheme is not a known verifier id or preset',
    );
  }
  return { verifier };
}

/**
 * Checks a password against a stored hash. Resolves match true/false; rejects with
 * UnusableHashError when no verifier can use the hash (or the given salt or pepper),
 * SchemeExpressionError for a bad expression.
 */
export function verifyPassword(options: VerifyPasswordOptions): Promise<VerifyPasswordResult> {
  return inHashSlot(() => verifyNow(options));
}

async function verifyNow(options: VerifyPasswordOptions): Promise<VerifyPasswordResult> {
  const { password, salt, pepper } = options;
  // A char(n) column or an exported file can pad the value; no hash format has outer whitespace.
  const stored = options.stored.trim();
  const scheme = options.scheme?.trim() || 'auto';
  if (stored === '') throw new UnusableHashError('empty', 'the stored hash is empty');
  const parsed = parseScheme(scheme);

  if ('expression' in parsed) {
    const { expression } = parsed;
    checkInputs(
      expression.canonical,
      `the scheme ${expression.canonical}`,
      expressionUses(expression),
      given(salt),
      given(pepper),
    );
    return {
      match: await verifyExpression(expression, password, stored, salt, pepper),
      scheme: expression.canonical,
    };
  }
  const chosen = 'verifier' in parsed ? parsed.verifier : detectScheme(stored, salt);
  if (!chosen) throw new UnusableHashError('unknown_format', 'the stored hash is in no known format');
  if ('verifier' in parsed && !chosen.detect(stored, salt)) {
    throw new UnusableHashError('malformed', `the stored hash is not in the ${chosen.id} format`, chosen.id);
  }
  checkInputs(
    chosen.id,
    chosen.label,
    { salt: chosen.salt ?? 'never', pepper: chosen.pepper ?? 'never' },
    given(salt),
    given(pepper),
  );
  const outcome = outcomeOf(
    await chosen.verify({
      password,
      stored,
      salt: given(salt) ? salt : undefined,
      pepper: given(pepper) ? pepper : undefined,
    }),
  );
  return { match: outcome.match, scheme: outcome.scheme ?? chosen.id };
}

/**
 * The scheme of one row: its value in `legacy.columns.scheme` mapped through
 * `legacy.password.schemes`, or the configured scheme when the row has none.
 */
export function schemeForRow(
  value: string | undefined,
  config: { scheme: string; schemes?: Record<string, string> | undefined },
): string {
  if (value === undefined || value.trim() === '') return config.scheme;
  const mapped = config.schemes?.[value.trim()];
  if (mapped === undefined) {
    throw new UnusableHashError(
      'unknown_scheme',
      'the row names a scheme that legacy.password.schemes does not map. Fix: add that value of legacy.columns.scheme to legacy.password.schemes',
    );
  }
  return mapped;
}

/** What a known password and stored value turned out to be. */
export interface IdentifiedScheme {
  scheme: string;
  /** The application that writes this format, e.g. "WordPress 6.8+", "ASP.NET Identity v3". */
  application?: string | undefined;
  /** YAML lines for the `legacy:` section of the config file that make this scheme work. */
  configLines: string[];
}

export interface Identification {
  /** Every scheme that matches (more than one: the value is ambiguous, pick by the application). */
  matches: IdentifiedScheme[];
  /** The formats the value's shape fits, tried without a match: what to look at next. */
  candidates: string[];
  /** Set when the value is no password at all (Django's `!…`), with the reason. */
  unusable?: string | undefined;
}

/** Sub-schemes a verifier reports, by the application that writes them. */
const APPLICATIONS: Record<string, string> = {
  joomla: 'Joomla 1.5-3.1',
  magento1: 'Magento 1 / osCommerce',
  'magento1-sha256': 'Magento 1 Enterprise',
  aspnet_identity_v2: 'ASP.NET Identity v2',
  aspnet_identity_v3: 'ASP.NET Identity v3',
  'werkzeug-legacy': 'Werkzeug before 0.9',
  'md4(utf16le(password))': 'an NT hash (Windows, Samba)',
  spring_pbkdf2: 'Spring Security Pbkdf2PasswordEncoder',
  spring_scrypt: 'Spring Security SCryptPasswordEncoder',
  spring_sha256: 'Spring Security StandardPasswordEncoder',
  spring_noop: 'Spring Security NoOpPasswordEncoder (plain text)',
};

function configLines(scheme: string, opts: { auto: boolean; salt: boolean; pepper: boolean }): string[] {
  const saltLine = opts.salt ? ['  columns: { salt: <your salt column> }'] : [];
  const pepper = opts.pepper ? ", pepper: '${LEGACY_PEPPER}'" : '';
  const value = opts.auto ? 'auto' : looksLikeExpression(scheme) ? `'${scheme}'` : scheme;
  return ['legacy:', ...saltLine, `  password: { scheme: ${value}${pepper} }`];
}

/** The expressions tried for a bare digest of `outer`, the commonest legacy constructions first. */
function candidateExpressions(outer: DigestAlgorithm, salted: boolean): string[] {
  const others = DIGEST_ALGORITHMS.filter((a) => a !== outer && a !== 'md4' && a !== 'sha384');
  const o = outer;
  const unsalted = [
    `${o}(password)`,
    `${o}(${o}(password))`,
    ...others.map((b) => `${o}(${b}(password))`),
    `${o}(${o}(${o}(password)))`,
    `${o}(upper(${o}(password)))`,
  ];
  if (!salted) return unsalted;
  const saltedForms = [
    `${o}(salt + password)`,
    `${o}(password + salt)`,
    `${o}(salt + ${o}(password))`,
    `${o}(${o}(password) + salt)`,
    `${o}(${o}(salt) + ${o}(password))`,
    `${o}(${o}(password) + ${o}(salt))`,
    `${o}(${o}(salt + password))`,
    `${o}(${o}(password + salt))`,
    `${o}(salt + password + salt)`,
    `${o}(password + salt + password)`,
    `${o}(salt + ${o}(salt + ${o}(password)))`,
    ...others.flatMap((b) => [
      `${o}(salt + ${b}(password))`,
      `${o}(${b}(password) + salt)`,
      `${o}(${b}(salt + password))`,
      `${o}(${b}(password + salt))`,
    ]),
  ];
  return [...saltedForms, ...unsalted];
}

async function tryScheme(options: VerifyPasswordOptions): Promise<VerifyPasswordResult | undefined> {
  try {
    const result = await verifyPassword(options);
    return result.match ? result : undefined;
  } catch (err) {
    if (err instanceof UnusableHashError || err instanceof SchemeExpressionError) return undefined;
    throw err;
  }
}

/**
 * Finds every scheme a known password and stored value fit: the detected formats first,
 * then the compositions applications build with the given salt and pepper, then nested
 * digests. Lists what the value could be when nothing matches.
 */
export async function identify(options: {
  password: string;
  stored: string;
  salt?: string | undefined;
  pepper?: string | undefined;
}): Promise<Identification> {
  const stored = options.stored.trim();
  const { password } = options;
  const salt = given(options.salt) ? options.salt : undefined;
  const pepper = given(options.pepper) ? options.pepper : undefined;
  if (djangoUnusableVerifier.detect(stored))
    return { matches: [], candidates: [], unusable: UNUSABLE_BY_DESIGN };
  const matches: IdentifiedScheme[] = [];
  const candidates: string[] = [];
  const add = (match: IdentifiedScheme) => {
    if (!matches.some((m) => m.scheme === match.scheme)) matches.push(match);
  };

  for (const v of verifiers) {
    if (v.presetOnly || !v.detect(stored)) continue;
    candidates.push(v.label);
    const useSalt = v.salt !== undefined && v.salt !== 'never' ? salt : undefined;
    const usePepper = v.pepper !== undefined && v.pepper !== 'never' ? pepper : undefined;
    const found = await tryScheme({ password, stored, salt: useSalt, pepper: usePepper, scheme: v.id });
    if (!found) continue;
    const sub = found.scheme;
    const preset = verifierById(sub)?.presetOnly === true;
    const expression = looksLikeExpression(sub);
    // What auto found without a salt, auto finds again; a salted expression is better spelt out.
    const plainAuto = !preset && !(expression && useSalt !== undefined);
    add({
      scheme: sub,
      application: APPLICATIONS[sub] ?? (expression ? undefined : v.label),
      configLines: configLines(sub, {
        auto: plainAuto,
        salt: useSalt !== undefined,
        pepper: usePepper !== undefined,
      }),
    });
  }

  // A value that matched its own format is not also a composition; otherwise every
  // composition of its shape is tried, side by side, since each may cost a bcrypt.
  const shape = shapeOf(stored);
  const fitting = matches.length === 0 ? COMPOSITIONS.filter((c) => c.shape === shape) : [];
  const tried = await Promise.all(
    fitting.map((c) => tryScheme({ password, stored, salt, pepper, scheme: c.scheme })),
  );
  fitting.forEach((c, i) => {
    const found = tried[i];
    if (!found) return;
    const expression = looksLikeExpression(c.scheme) ? parseSchemeExpression(c.scheme) : undefined;
    const preset = verifierById(c.scheme);
    add({
      scheme: found.scheme,
      application: c.application,
      configLines: configLines(found.scheme, {
        auto: false,
        salt:
          expression?.usesSalt ??
          (preset?.salt !== undefined && preset.salt !== 'never' && salt !== undefined),
        pepper: expression?.usesPepper ?? false,
      }),
    });
  });

  const bare = parseBareDigest(stored);
  if (matches.length === 0 && bare?.encoding === 'hex') {
    for (const text of candidateExpressions(bare.algorithm, salt !== undefined)) {
      const found = await tryScheme({ password, stored, salt, scheme: text });
      if (!found) continue;
      add({
        scheme: found.scheme,
        configLines: configLines(found.scheme, {
          auto: false,
          salt: parseSchemeExpression(text).usesSalt,
          pepper: false,
        }),
      });
      break;
    }
  }
  if (shape) {
    for (const c of COMPOSITIONS)
      if (c.shape === shape && !candidates.includes(c.application)) candidates.push(c.application);
  }
  return { matches, candidates };
}

/**
 * The first scheme a known password and stored value fit, and the config lines for it;
 * undefined when nothing matches. See identify() for every match and the candidates.
 */
export async function identifyScheme(options: {
  password: string;
  stored: string;
  salt?: string | undefined;
  pepper?: string | undefined;
}): Promise<IdentifiedScheme | undefined> {
  return (await identify(options)).matches[0];
}

/**
 * A stored value to verify against when the user does not exist, costing what a real check
 * of `scheme` costs; with `like` (a real row's hash) at that row's cost. Computed off the
 * event loop where it must be computed at all.
 */
export async function decoyFor(scheme: string, like?: string): Promise<string> {
  const chosen = scheme.trim() || 'auto';
  if (looksLikeExpression(chosen)) {
    const expression = parseSchemeExpression(chosen);
    if (expression.root.name === 'bcrypt') return bcryptDecoy(like);
    return randomChecksum(expressionSize(expression)!, 'hex');
  }
  const verifier =
    chosen === 'auto' ? (like ? detectScheme(like.trim()) : bcryptVerifier) : verifierById(chosen);
  if (!verifier) throw new UnusableHashError('unknown_scheme', 'no decoy for an unknown scheme', chosen);
  return verifier.decoy(like?.trim());
}

/** True when a configured scheme reads a salt kept apart (for a decoy check of the same cost). */
export function schemeReadsSalt(scheme: string): boolean {
  const chosen = scheme.trim() || 'auto';
  if (looksLikeExpression(chosen)) return parseSchemeExpression(chosen).usesSalt;
  const salt = chosen === 'auto' ? undefined : verifierById(chosen)?.salt;
  return salt === 'optional' || salt === 'required';
}

/** The scheme ids and presets an operator may name, for messages. */
export function schemeNames(): { ids: string[]; presets: string[] } {
  return {
    ids: verifiers.filter((v) => !v.presetOnly).map((v) => v.id),
    presets: verifiers.filter((v) => v.presetOnly).map((v) => v.id),
  };
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(
        d[i - 1]![j]! + 1,
        d[i]![j - 1]! + 1,
        d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
  return d[a.length]![b.length]!;
}

/**
 * The problem with a configured scheme (`legacy.password.scheme` or a value of
 * `legacy.password.schemes`), with the fix; undefined when it is usable. Run at start, so a
 * typo is a config error instead of a failure at every login.
 */
export function checkScheme(text: string): string | undefined {
  const scheme = text.trim();
  if (scheme === 'auto') return undefined;
  if (looksLikeExpression(scheme)) {
    try {
      parseSchemeExpression(scheme);
      return undefined;
    } catch (err) {
      return err instanceof SchemeExpressionError ? err.message : 'is not a valid scheme expression';
    }
  }
  if (verifierById(scheme)) return undefined;
  const { ids, presets } = schemeNames();
  const names = ['auto', ...ids, ...presets];
  const near = names.map((n) => ({ n, d: distance(scheme.toLowerCase(), n) })).sort((a, b) => a.d - b.d)[0]!;
  const hint = near.d <= Math.max(2, Math.floor(scheme.length / 3)) ? `Did you mean ${near.n}? ` : '';
  return `${JSON.stringify(scheme)} is not a scheme. ${hint}Use auto, a scheme id (${ids.slice(0, 6).join(', ')}, …), a preset (${presets.join(', ')}) or an expression such as sha1(salt + password)`;
}

/**
 * For the bulk import: the target's form (md5/sha1/sha256 of salt + password, lowercase hex)
 * of a stored hash the target accepts as it is, or undefined when only the password can make one.
 */
export function targetFormOf(
  stored: string,
  salt: string | undefined,
  scheme: string,
): TargetPasswordForm | undefined {
  const chosen = scheme.trim() || 'auto';
  const value = stored.trim();
  if (looksLikeExpression(chosen)) return expressionTargetForm(parseSchemeExpression(chosen), value, salt);
  const verifier = chosen === 'auto' ? detectScheme(value, salt) : verifierById(chosen);
  if (!verifier?.targetForm || !verifier.detect(value, salt)) return undefined;
  return verifier.targetForm(value, salt);
}
