// Scheme expressions for hashes that carry no prefix, e.g. `sha1(salt + password)` or
// `md5(md5(password) + salt)`: md5/sha1/sha256/sha512 calls over `password`, `salt` and `+`
// (concatenation); a nested call yields its lowercase hex. A small recursive-descent parser,
// never eval; errors say where and what was expected. The stored digest may be hex or base64.

import { SchemeExpressionError, UnusableHashError } from '../errors.ts';
import { constantTimeEqual } from './constant-time.ts';
import { DIGEST_SIZE, type DigestAlgorithm, digest, isDigestAlgorithm } from './digests.ts';
import { decodeDigest } from './encoding.ts';
import type { TargetPasswordForm } from './types.ts';

export type ExpressionNode =
  | { kind: 'password' }
  | { kind: 'salt' }
  | { kind: 'call'; algorithm: DigestAlgorithm; parts: ExpressionNode[] };

export type CallNode = Extract<ExpressionNode, { kind: 'call' }>;

export interface SchemeExpression {
  root: CallNode;
  /** Normalized text, e.g. `sha1(salt + password)`: what config and reports show. */
  canonical: string;
  usesSalt: boolean;
}

const MAX_LENGTH = 500;
const MAX_DEPTH = 8;
const EXPECTED_TERM = 'password, salt or a call md5(...), sha1(...), sha256(...), sha512(...)';

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(private readonly text: string) {}

  private fail(expected: string, at = this.pos): never {
    const found = at >= this.text.length ? 'the end of the expression' : `"${this.text[at]}"`;
    throw new SchemeExpressionError(
      `Invalid scheme expression: expected ${expected} at position ${at + 1}, found ${found}.`,
    );
  }

  private skipSpaces(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  private peek(): string | undefined {
    this.skipSpaces();
    return this.text[this.pos];
  }

  parse(): CallNode {
    this.skipSpaces();
    const start = this.pos;
    const node = this.term();
    if (node.kind !== 'call')
      this.fail('a hash function call such as sha1(...) around the whole expression', start);
    if (this.peek() !== undefined) this.fail('the end of the expression');
    return node;
  }

  /** concat := term ('+' term)* */
  private concat(): ExpressionNode[] {
    const parts = [this.term()];
    while (this.peek() === '+') {
      this.pos++;
      parts.push(this.term());
    }
    return parts;
  }

  /** term := 'password' | 'salt' | name '(' concat ')' */
  private term(): ExpressionNode {
    this.skipSpaces();
    const start = this.pos;
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.pos))?.[0];
    if (!name) this.fail(EXPECTED_TERM);
    this.pos += name.length;
    const lower = name.toLowerCase();
    if (lower === 'password') return { kind: 'password' };
    if (lower === 'salt') return { kind: 'salt' };
    if (!isDigestAlgorithm(lower)) {
      throw new SchemeExpressionError(
        `Invalid scheme expression: unknown name "${name}" at position ${start + 1}; expected ${EXPECTED_TERM}.`,
      );
    }
    if (this.peek() !== '(') this.fail(`"(" after ${lower}`);
    this.pos++;
    if (++this.depth > MAX_DEPTH) this.fail(`at most ${MAX_DEPTH} nested calls`, start);
    const parts = this.concat();
    this.depth--;
    if (this.peek() !== ')') this.fail('"+" or ")"');
    this.pos++;
    return { kind: 'call', algorithm: lower, parts };
  }
}

function format(node: ExpressionNode): string {
  if (node.kind !== 'call') return node.kind;
  return `${node.algorithm}(${node.parts.map(format).join(' + ')})`;
}

function uses(node: ExpressionNode, kind: 'password' | 'salt'): boolean {
  return node.kind === kind || (node.kind === 'call' && node.parts.some((p) => uses(p, kind)));
}

/** Parses an expression; throws SchemeExpressionError naming the position and what was expected. */
export function parseSchemeExpression(text: string): SchemeExpression {
  if (text.length > MAX_LENGTH) {
    throw new SchemeExpressionError(`Invalid scheme expression: longer than ${MAX_LENGTH} characters.`);
  }
  const root = new Parser(text).parse();
  if (!uses(root, 'password')) {
    throw new SchemeExpressionError('Invalid scheme expression: it never uses the password.');
  }
  return { root, canonical: format(root), usesSalt: uses(root, 'salt') };
}

/** True when the text looks like an expression rather than a scheme id such as "bcrypt". */
export function looksLikeExpression(text: string): boolean {
  return text.includes('(');
}

function evaluate(node: CallNode, password: string, salt: string): Buffer {
  const input = node.parts.map((part) => {
    if (part.kind === 'password') return Buffer.from(password, 'utf8');
    if (part.kind === 'salt') return Buffer.from(salt, 'utf8');
    return Buffer.from(evaluate(part, password, salt).toString('hex'), 'latin1');
  });
  return digest(node.algorithm, ...input);
}

/** The raw digest an expression gives for a password and salt. */
export function computeExpression(expression: SchemeExpression, password: string, salt = ''): Buffer {
  return evaluate(expression.root, password, salt);
}

function decodeStored(expression: SchemeExpression, stored: string): Buffer {
  const size = DIGEST_SIZE[expression.root.algorithm];
  const expected = decodeDigest(stored, size);
  if (!expected) {
    throw new UnusableHashError(
      'malformed',
      `stored hash is not a hex or base64 ${expression.root.algorithm} digest`,
      expression.canonical,
    );
  }
  return expected;
}

/** Verifies a stored digest against an expression; a salted expression needs the salt. */
export async function verifyExpression(
  expression: SchemeExpression,
  password: string,
  stored: string,
  salt: string | undefined,
): Promise<boolean> {
  const expected = decodeStored(expression, stored);
  if (expression.usesSalt && salt === undefined) {
    throw new UnusableHashError(
      'salt_missing',
      'the scheme uses a salt but none was given',
      expression.canonical,
    );
  }
  return constantTimeEqual(computeExpression(expression, password, salt ?? ''), expected);
}

/**
 * The target form for an expression of exactly `alg(salt + password)` or `alg(password)`
 * with alg md5/sha1/sha256; anything else cannot be sent without the password.
 */
export function expressionTargetForm(
  expression: SchemeExpression,
  stored: string,
  salt: string | undefined,
): TargetPasswordForm | undefined {
  const { algorithm, parts } = expression.root;
  if (algorithm === 'sha512') return undefined;
  const kinds = parts.map((p) => p.kind).join(',');
  let formSalt: string;
  if (kinds === 'password') formSalt = '';
  else if (kinds === 'salt,password') formSalt = salt ?? '';
  else return undefined;
  const expected = decodeDigest(stored, DIGEST_SIZE[algorithm]);
  return expected ? { algorithm, salt: formSalt, hash: expected.toString('hex') } : undefined;
}
