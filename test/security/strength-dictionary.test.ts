// The strength estimate's own dictionary matchers against zxcvbn-ts's: on a corpus of common
// passwords spelled in l33t and backwards, word sequences, names with years, the user's own words
// and random strings, both give the same guesses, so the same score, and the same feedback.
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { dictionary as commonDictionary } from '@zxcvbn-ts/language-common';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEstimator } from '../../src/security/strength-worker.ts';

// A small seeded generator, so that every run checks the same corpus.
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const L33T: Record<string, string[]> = {
  a: ['4', '@'],
  b: ['8'],
  c: ['(', '<'],
  e: ['3'],
  g: ['9', '6'],
  i: ['1', '!', '|'],
  k: ['|<'],
  l: ['1', '|', '7'],
  o: ['0'],
  s: ['$', '5'],
  t: ['+', '7'],
  x: ['%'],
  z: ['2'],
};

function corpus(): string[] {
  const random = prng(20261202);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const l33t = (word: string, rate: number) =>
    [...word]
      .map((ch) => (L33T[ch.toLowerCase()] && random() < rate ? pick(L33T[ch.toLowerCase()]!) : ch))
      .join('');
  const common = commonDictionary['passwords-common'] as string[];
  const out = new Set<string>([
    'Bench-legacy-password-2024',
    'Tr0ub4dor&3',
    'correct horse battery staple',
    'P@$$w0rd1234',
    'p4ssw0rd',
    '0n3tw0thr33',
    'm0nd4ytu3sd4y',
    'r3dOr4ng3y3ll0w',
    'b3nch-us3r-0',
    'Al1ce.Sm1th1987',
    'constructor2024',
    'My__proto__Pass',
    'htimsecila',
    // Lowercasing "İ" gives two characters: the library's substrings shift after it.
    'İİİp4ssword',
    'İİm0nkey',
    'İİİİf00tball',
    'Straße-P4ss',
  ]);
  for (let n = 0; n < 20; n++) out.add([...l33t(pick(common.slice(0, 2000)), 0.3)].reverse().join(''));
  for (let n = 0; n < 80; n++) out.add(l33t(pick(common.slice(0, 5000)), 0.6));
  for (let n = 0; n < 40; n++)
    out.add(`${l33t(pick(common), 0.4)}${Math.floor(random() * 100)}${pick(['!', '', '#', '2024'])}`);
  for (let n = 0; n < 30; n++)
    out.add(l33t(`${pick(common)}-${pick(common)}-${1950 + Math.floor(random() * 75)}`, 0.5));
  const alphabet =
    'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#$%^&*()-_=+[]{};:,.<>/?|~';
  for (let n = 0; n < 30; n++) {
    const length = 6 + Math.floor(random() * 22);
    out.add(Array.from({ length }, () => pick([...alphabet])).join(''));
  }
  return [...out];
}

const USER_INPUTS = ['alice.smith', 'alice.smith@example.com', 'Alice', 'Smith'];

describe("the strength estimate's dictionary matchers", () => {
  let library: ZxcvbnFactory;
  let indexed: ZxcvbnFactory;
  beforeAll(async () => {
    [library, indexed] = await Promise.all([createEstimator('library'), createEstimator('indexed')]);
  });

  it('gives the guesses, score and feedback of zxcvbn-ts for every password of the corpus', () => {
    const passwords = corpus();
    expect(passwords.length).toBeGreaterThan(180);
    const differing: string[] = [];
    for (const password of passwords) {
      for (const inputs of [[], USER_INPUTS]) {
        const want = library.check(password, inputs);
        const got = indexed.check(password, inputs);
        if (got.guesses !== want.guesses || got.score !== want.score) differing.push(password);
        else expect(got.feedback).toEqual(want.feedback);
      }
    }
    expect(differing).toEqual([]);
  });

  it("finds the l33t spelling of a common password, of a word sequence and of the user's own name", () => {
    for (const [password, inputs] of [
      ['P@$$w0rd', []],
      ['0n3tw0thr33', []],
      ['@l1c3$m1th', USER_INPUTS],
    ] as const) {
      const result = indexed.check(password, [...inputs]);
      expect(result.score, password).toBeLessThan(3);
      expect(
        result.sequence.some((m) => m.l33t === true || m.pattern === 'wordSequence'),
        password,
      ).toBe(true);
    }
  });
});
