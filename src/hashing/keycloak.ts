// Keycloak's exported password credentials (realm export, partial export, the admin API): a
// JSON object with `secretData` {value, salt} and `credentialData` {hashIterations,
// algorithm}, each either an object or the JSON string Keycloak stores; a flat object with
// the four keys is read too. Algorithms pbkdf2 (sha1), pbkdf2-sha256, pbkdf2-sha512; the key
// length is the stored value's (services/.../Pbkdf2PasswordHashProviderFactory and friends).

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqual } from './constant-time.ts';
import { randomChecksum } from './decoy.ts';
import { checkIterations, derivePbkdf2 } from './django-pbkdf2.ts';
import { decodeBase64 } from './encoding.ts';
import type { Verifier } from './types.ts';

const ALGORITHMS = { pbkdf2: 'sha1', 'pbkdf2-sha256': 'sha256', 'pbkdf2-sha512': 'sha512' } as const;

const malformed = (what: string) =>
  new UnusableHashError('malformed', `malformed Keycloak credential: ${what}`, 'keycloak');

function object(value: unknown): Record<string, unknown> | undefined {
  if (typeof value === 'string') {
    try {
      return object(JSON.parse(value));
    } catch {
      return undefined;
    }
  }
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function parse(stored: string) {
  if (!stored.startsWith('{') || !stored.includes('"')) return undefined;
  const root = object(stored);
  if (!root) return undefined;
  const secret = object(root.secretData) ?? root;
  const data = object(root.credentialData) ?? root;
  const { value, salt } = secret;
  const { hashIterations, algorithm } = data;
  if (typeof value !== 'string' || typeof salt !== 'string') return undefined;
  return { value, salt, iterations: hashIterations, algorithm };
}

export const keycloakVerifier: Verifier = {
  id: 'keycloak',
  label: 'Keycloak credential JSON (pbkdf2-sha256, pbkdf2-sha512, pbkdf2)',
  detect: (stored) => parse(stored) !== undefined,
  decoy: async () =>
    JSON.stringify({
      secretData: { value: randomChecksum(64, 'base64'), salt: randomChecksum(16, 'base64') },
      credentialData: { hashIterations: 210000, algorithm: 'pbkdf2-sha512' },
    }),
  async verify({ password, stored }) {
    const p = parse(stored);
    if (!p)
      throw malformed('expected secretData {value, salt} and credentialData {hashIterations, algorithm}');
    const digest = ALGORITHMS[p.algorithm as keyof typeof ALGORITHMS];
    if (!digest)
      throw new UnusableHashError(
        'unsupported_parameters',
        'Keycloak credential of an unsupported algorithm',
        'keycloak',
      );
    const iterations = Number(p.iterations);
    checkIterations(iterations, 'keycloak');
    const salt = decodeBase64(p.salt);
    const expected = decodeBase64(p.value);
    if (!salt || !expected || expected.length === 0 || expected.length > 256)
      throw malformed('value or salt is not base64');
    return constantTimeEqual(
      await derivePbkdf2(password, salt, iterations, expected.length, digest),
      expected,
    );
  },
};
