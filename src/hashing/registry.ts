// The one ordered list of legacy password verifiers, most specific format first, and the
// operations built on it: detect a stored hash's scheme, verify a password (auto-detected
// or by a scheme expression), identify which scheme a known password/hash pair uses, and
// tell which stored hashes the target platform can import as they are.

import { UnusableHashError } from '../errors.ts';
import { argon2Verifier } from './argon2.ts';
import { bareDigestVerifier, matchBareDigest, parseBareDigest } from './bare-digest.ts';
import { bcryptVerifier } from './bcrypt.ts';
import { constantTimeEqual } from './constant-time.ts';
import { DIGEST_ALGORITHMS, type DigestAlgorithm } from './digests.ts';
import { djangoArgon2Verifier } from './django-argon2.ts';
import { djangoBcryptVerifier } from './django-bcrypt.ts';
import { djangoPbkdf2Verifier } from './django-pbkdf2.ts';
import { ldapVerifier } from './ldap.ts';
import { createLdapWrappedVerifier } from './ldap-wrapped.ts';
import { md5CryptVerifier } from './md5-crypt.ts';
import { mysqlVerifier } from './mysql.ts';
import { pbkdf2Verifier } from './pbkdf2.ts';
import { phpassVerifier } from './phpass.ts';
import { saltedDigestVerifier } from './salted-digest.ts';
import {
  computeExpression,
  expressionTargetForm,
  looksLikeExpression,
  parseSchemeExpression,
  verifyExpression,
} from './scheme-expression.ts';
import { shaCryptVerifier } from './sha-crypt.ts';
import type { TargetPasswordForm, Verifier } from './types.ts';

export { hashBridgePassword, verifyBridgePassword } from './bridge-hash.ts';
export { decoyHash } from './decoy.ts';
export { closeWorkerPool } from './worker-pool.ts';

/**
 * Prefixed formats first; the prefix-less ones last, the bare digest at the very end since
 * it claims any hex or base64 string of a digest's length.
 */
export const verifiers: readonly Verifier[] = [
  bcryptVerifier,
  argon2Verifier,
  shaCryptVerifier,
  md5CryptVerifier,
  phpassVerifier,
  pbkdf2Verifier,
  djangoPbkdf2Verifier,
  djangoBcryptVerifier,
  djangoArgon2Verifier,
  createLdapWrappedVerifier(() => verifiers),
  ldapVerifier,
  mysqlVerifier,
  saltedDigestVerifier,
  bareDigestVerifier,
];

export function detectScheme(stored: string, salt?: string): Verifier | undefined {
  return verifiers.find((v) => v.detect(stored, salt));
}

export interface VerifyPasswordOptions {
  password: string;
  stored: string;
  salt?: string | undefined;
  /** `auto` (default), a verifier id such as `bcrypt`, or an expression such as `sha1(salt + password)`. */
  scheme?: string | undefined;
}

export interface VerifyPasswordResult {
  match: boolean;
  /** The verifier id, or for prefix-less digests the expression that was checked. */
  scheme: string;
}

function unknownFormat(): UnusableHashError {
  return new UnusableHashError('unknown_format', 'the stored hash is in no known format');
}

/**
 * Checks a password against a stored hash. Resolves match true/false; rejects with
 * UnusableHashError when no verifier can use the hash, SchemeExpressionError for a bad expression.
 */
export async function verifyPassword(options: VerifyPasswordOptions): Promise<VerifyPasswordResult> {
  const { password, salt } = options;
  // A char(n) column or an exported file can pad the value; no hash format has outer whitespace.
  const stored = options.stored.trim();
  const scheme = options.scheme?.trim() || 'auto';
  if (stored === '') throw new UnusableHashError('empty', 'the stored hash is empty');

  if (looksLikeExpression(scheme)) {
    const expression = parseSchemeExpression(scheme);
    return {
      match: await verifyExpression(expression, password, stored, salt),
      scheme: expression.canonical,
    };
  }
  if (scheme !== 'auto') {
    const chosen = verifiers.find((v) => v.id === scheme);
    if (!chosen)
      throw new UnusableHashError('unknown_scheme', 'the configured scheme is not a known verifier id');
    if (!chosen.detect(stored, salt)) {
      throw new UnusableHashError(
        'malformed',
        `the stored hash is not in the ${chosen.id} format`,
        chosen.id,
      );
    }
    return { match: await chosen.verify({ password, stored, salt }), scheme: chosen.id };
  }

  const detected = detectScheme(stored, salt);
  if (!detected) throw unknownFormat();
  if (detected === bareDigestVerifier) return matchBareDigest(password, stored, salt);
  return { match: await detected.verify({ password, stored, salt }), scheme: detected.id };
}

export interface IdentifiedScheme {
  scheme: string;
  /** YAML lines for the `legacy:` section of the config file that make this scheme work. */
  configLines: string[];
}

const AUTO_LINES = ['legacy:', '  password: { scheme: auto }'];

function expressionLines(expression: string, usesSalt: boolean): string[] {
  return [
    'legacy:',
    ...(usesSalt ? ['  columns: { salt: <your salt column> }'] : []),
    `  password: { scheme: '${expression}' }`,
  ];
}

/** The expressions tried for a bare digest of `outer`, the commonest legacy constructions first. */
function candidateExpressions(outer: DigestAlgorithm, salted: boolean): string[] {
  const others = DIGEST_ALGORITHMS.filter((a) => a !== outer);
  const o = outer;
  const unsalted = [
    `${o}(password)`,
    `${o}(${o}(password))`,
    ...others.map((b) => `${o}(${b}(password))`),
    `${o}(${o}(${o}(password)))`,
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
    ...others.flatMap((b) => [
      `${o}(salt + ${b}(password))`,
      `${o}(${b}(password) + salt)`,
      `${o}(${b}(salt + password))`,
      `${o}(${b}(password + salt))`,
    ]),
  ];
  return [...saltedForms, ...unsalted];
}

/**
 * Finds the scheme a known password and stored hash use, and the config lines for it.
 * Undefined when nothing matches; UnusableHashError when a recognised format is malformed.
 */
export async function identifyScheme(options: {
  password: string;
  stored: string;
  salt?: string | undefined;
}): Promise<IdentifiedScheme | undefined> {
  const { password, salt } = options;
  const stored = options.stored.trim();
  const detected = detectScheme(stored, salt);
  if (!detected) return undefined;
  if (detected !== bareDigestVerifier) {
    return (await detected.verify({ password, stored, salt }))
      ? { scheme: detected.id, configLines: AUTO_LINES }
      : undefined;
  }
  const parsed = parseBareDigest(stored)!;
  const salted = salt !== undefined && salt !== '';
  for (const text of candidateExpressions(parsed.algorithm, salted)) {
    const expression = parseSchemeExpression(text);
    if (constantTimeEqual(computeExpression(expression, password, salt ?? ''), parsed.expected)) {
      if (text === `${parsed.algorithm}(password)` && !salted)
        return { scheme: text, configLines: AUTO_LINES };
      return {
        scheme: expression.canonical,
        configLines: expressionLines(expression.canonical, expression.usesSalt),
      };
    }
  }
  return undefined;
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
  const verifier = chosen === 'auto' ? detectScheme(value, salt) : verifiers.find((v) => v.id === chosen);
  if (!verifier?.targetForm || !verifier.detect(value, salt)) return undefined;
  return verifier.targetForm(value, salt);
}
