// Argon2 (argon2i, argon2d, argon2id) in PHC string form, with or without the `v=` field
// (no `v=` means version 0x10, as the reference implementation encodes it). The `argon2`
// package computes in the libuv thread pool and compares in constant time.

import argon2 from 'argon2';
import { UnusableHashError } from '../errors.ts';
import { discardedPassword, memoDecoy } from './decoy.ts';
import { decodeBase64 } from './encoding.ts';
import type { Verifier } from './types.ts';

const PHC_RE =
  /^\$(argon2(?:id|i|d))\$(?:v=(\d+)\$)?([a-z]+=[^$]*)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

/** Hashes above these parameters are refused rather than allowed to tie up memory and threads. */
// Generous for real legacy tables (PHP's default is 64 MiB, t=4), small enough that a hostile
// row cannot pin a core and gigabytes of memory for minutes.
export const ARGON2_LIMITS = { maxMemoryKiB: 512 * 1024, maxTimeCost: 64, maxParallelism: 64 };

export interface ParsedArgon2 {
  type: 'argon2i' | 'argon2d' | 'argon2id';
  version: number;
  memoryCost: number;
  timeCost: number;
  parallelism: number;
  salt: Buffer;
  hash: Buffer;
}

/** Parses and bounds-checks a PHC argon2 string; throws UnusableHashError naming the bad field. */
export function parseArgon2(stored: string, scheme = 'argon2'): ParsedArgon2 {
  const malformed = (what: string) =>
    new UnusableHashError('malformed', `malformed argon2 hash: ${what}`, scheme);
  const m = PHC_RE.exec(stored);
  if (!m) throw malformed('not a PHC string of the form $argon2id$v=19$m=...,t=...,p=...$salt$hash');
  const version = m[2] === undefined ? 0x10 : Number(m[2]);
  if (version !== 0x10 && version !== 0x13) {
    throw new UnusableHashError('unsupported_parameters', 'argon2 hash of an unknown version', scheme);
  }
  const params = new Map<string, string>();
  for (const pair of m[3]!.split(',')) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw malformed('bad parameter list');
    params.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  if (params.has('keyid')) {
    throw new UnusableHashError(
      'unsupported_parameters',
      'argon2 hash made with a secret key (keyid)',
      scheme,
    );
  }
  for (const key of params.keys()) {
    if (!['m', 't', 'p', 'data'].includes(key)) throw malformed('unknown parameter');
  }
  const int = (key: string) => {
    const text = params.get(key);
    if (text === undefined || !/^\d{1,10}$/.test(text)) throw malformed(`bad or missing ${key} parameter`);
    return Number(text);
  };
  const memoryCost = int('m');
  const timeCost = int('t');
  const parallelism = int('p');
  if (timeCost < 1 || parallelism < 1 || memoryCost < 8 * parallelism) {
    throw malformed('parameters below the minimum (t >= 1, p >= 1, m >= 8p)');
  }
  if (
    memoryCost > ARGON2_LIMITS.maxMemoryKiB ||
    timeCost > ARGON2_LIMITS.maxTimeCost ||
    parallelism > ARGON2_LIMITS.maxParallelism
  ) {
    throw new UnusableHashError(
      'unsupported_parameters',
      'argon2 parameters above the accepted limits',
      scheme,
    );
  }
  const salt = decodeBase64(m[4]!);
  const hash = decodeBase64(m[5]!);
  if (!salt || salt.length < 8) throw malformed('salt shorter than 8 bytes');
  if (!hash || hash.length < 4) throw malformed('hash shorter than 4 bytes');
  return { type: m[1] as ParsedArgon2['type'], version, memoryCost, timeCost, parallelism, salt, hash };
}

export async function verifyArgon2(password: string, stored: string, scheme = 'argon2'): Promise<boolean> {
  parseArgon2(stored, scheme);
  try {
    return await argon2.verify(stored, password);
  } catch {
    throw new UnusableHashError('malformed', 'malformed argon2 hash: rejected by the argon2 library', scheme);
  }
}

/** PHP's PASSWORD_ARGON2ID defaults (m=65536, t=4, p=1), made by php-cli of a discarded password. */
const DECOY =
  '$argon2id$v=19$m=65536,t=4,p=1$c/NSCtyh9+O7T+2Vcjft9w$3eKiWp6r05QuOwYgRcvcph3AWQUgVo6pK0cU7Yybaak';

const TYPES = { argon2d: argon2.argon2d, argon2i: argon2.argon2i, argon2id: argon2.argon2id } as const;

/** An argon2 decoy with the parameters of `like`, computed once per parameter set in the thread pool. */
export function argon2Decoy(like?: string): Promise<string> {
  let p: ParsedArgon2 | undefined;
  try {
    p = like ? parseArgon2(like) : undefined;
  } catch {
    p = undefined;
  }
  if (!p) return Promise.resolve(DECOY);
  const { type, memoryCost, timeCost, parallelism } = p;
  return memoDecoy(`argon2:${type}:${memoryCost}:${timeCost}:${parallelism}`, () =>
    argon2.hash(discardedPassword(), { type: TYPES[type], memoryCost, timeCost, parallelism }),
  );
}

export const argon2Verifier: Verifier = {
  id: 'argon2',
  label: 'Argon2 PHC string (PHP PASSWORD_ARGON2ID, libsodium, Spring, Keycloak)',
  detect: (stored) => /^\$argon2(?:id|i|d)\$/.test(stored),
  verify: ({ password, stored }) => verifyArgon2(password, stored),
  decoy: argon2Decoy,
};
