// The scheme expression parser: accepts the design's examples, normalizes them, computes
// digests as documented, and rejects bad input with SchemeExpressionError naming the position.

import { describe, expect, it } from 'vitest';
import { SchemeExpressionError } from '../../src/errors.ts';
import { computeExpression, parseSchemeExpression } from '../../src/hashing/scheme-expression.ts';

function parseError(text: string): SchemeExpressionError {
  try {
    parseSchemeExpression(text);
  } catch (err) {
    if (err instanceof SchemeExpressionError) return err;
    throw err;
  }
  throw new Error('expected a SchemeExpressionError');
}

describe('parseSchemeExpression', () => {
  it.each([
    ['sha1(salt + password)', 'sha1(salt + password)', true],
    ['md5(md5(password) + salt)', 'md5(md5(password) + salt)', true],
    ['sha256(password + salt)', 'sha256(password + salt)', true],
    ['sha512(password)', 'sha512(password)', false],
    ['md5(md5(salt) + md5(password))', 'md5(md5(salt) + md5(password))', true],
  ])('accepts the expression %s', (text, canonical, usesSalt) => {
    const parsed = parseSchemeExpression(text);
    expect(parsed.canonical).toBe(canonical);
    expect(parsed.usesSalt).toBe(usesSalt);
  });

  it('normalizes spacing and the case of names', () => {
    expect(parseSchemeExpression('  SHA1( salt+Password )').canonical).toBe('sha1(salt + password)');
  });

  it('gives nested calls as lowercase hex, as md5(md5(password)) is commonly built', async () => {
    const parsed = parseSchemeExpression('md5(md5(password))');
    // hashcat mode 2600 example: md5(md5("hashcat")).
    expect((await computeExpression(parsed, 'hashcat')).toString('hex')).toBe(
      'a936af92b0ae20b1ff6c3347a72e5fbe',
    );
  });

  it.each([
    ['', 1],
    ['password', 1],
    ['sha1(salt + password', 21],
    ['md5 password', 5],
    ['md5()', 5],
    ['md5(password +)', 15],
    ['md5(password) + salt', 15],
    ['md5(password) * 2', 15],
    ['md5(password))', 14],
  ])('rejects %j, naming position %i', (text, position) => {
    const err = parseError(text);
    expect(err.code).toBe('scheme_invalid');
    expect(err.message).toContain(`position ${position}`);
    expect(err.message).toMatch(/expected/);
  });

  it('rejects unknown function names such as sha3 or eval', () => {
    expect(parseError('sha3(password)').code).toBe('scheme_invalid');
    expect(parseError('eval(password)').message).toContain('position 1');
  });

  it('rejects an expression that never uses the password', () => {
    expect(parseError('md5(salt)').code).toBe('scheme_invalid');
  });

  it('rejects absurd nesting and length instead of recursing without end', () => {
    const deep = `${'md5('.repeat(40)}password${')'.repeat(40)}`;
    expect(parseError(deep).code).toBe('scheme_invalid');
    expect(parseError(`md5(${'password + '.repeat(200)}password)`).code).toBe('scheme_invalid');
  });
});
