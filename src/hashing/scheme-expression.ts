// Scheme expressions for hashes that carry no prefix, e.g. `sha1(salt + password)`,
// `md5(md5(password) + salt)`, `bcrypt(md5(password))` or `hmac_sha256(pepper, password)`:
// digest, HMAC, PBKDF2, scrypt and bcrypt calls over `password`, `salt`, `pepper`, quoted
// literals and `+` (concatenation), with lower(), upper() and utf16le() as text transforms.
// A nested call yields its lowercase hex, as PHP's md5() and Ruby's hexdigest do. A small
// recursive-descent parser, never eval; errors say where and what was expected.

import { pbkdf2, scrypt } from 'node:crypto';
import { promisify } from 'node:util';
import { SchemeExpressionError, UnusableHashError } from '../errors.ts';
import { parseBcrypt, verifyBcrypt } from './bcrypt.ts';
import { constantTimeEqual } from './constant-time.ts';
import { DIGEST_SIZE, type DigestAlgorithm, digest, hmac, isDigestAlgorithm } from './digests.ts';
import { decodeDigest } from './encoding.ts';
import type { TargetPasswordForm } from './types.ts';

const pbkdf2Async = promisify(pbkdf2);
const scryptAsync = promisify(scrypt) as (
  password: Uint8Array,
  salt: Uint8Array,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

type HmacAlgorithm = Exclude<DigestAlgorithm, 'md4'>;
type Pbkdf2Algorithm = 'sha1' | 'sha256' | 'sha512';

export type FunctionName =
  | DigestAlgorithm
  | `hmac_${HmacAlgorithm}`
  | `pbkdf2_${Pbkdf2Algorithm}`
  | 'scrypt'
  | 'bcrypt'
  | 'lower'
  | 'upper'
  | 'utf16le';

export type ExpressionNode =
  | { kind: 'password' }
  | { kind: 'salt' }
  | { kind: 'pepper' }
  | { kind: 'literal'; text: string }
  | { kind: 'number'; value: number }
  | { kind: 'concat'; parts: ExpressionNode[] }
  | { kind: 'call'; name: FunctionName; args: ExpressionNode[] };

export type CallNode = Extract<ExpressionNode, { kind: 'call' }>;

export interface SchemeExpression {
  root: CallNode;
  /** Normalized text, e.g. `sha1(salt + password)`: what config and reports show. */
  canonical: string;
  usesSalt: boolean;
  usesPepper: boolean;
}

const MAX_LENGTH = 2000;
// Authlogic's Sha512 crypto provider nests twenty rounds; leave room around that.
const MAX_DEPTH = 32;
const MAX_BYTES = 1024;
const MAX_SCRYPT_MEMORY = 512 * 1024 * 1024;
const PBKDF2_LIMIT = 20_000_000;

const HMACS: readonly HmacAlgorithm[] = ['md5', 'sha1', 'sha256', 'sha384', 'sha512'];
const PBKDF2S: readonly Pbkdf2Algorithm[] = ['sha1', 'sha256', 'sha512'];

/** Each function's parameters: 'text' takes any expression, 'number' an integer literal. */
const SIGNATURES: Record<string, readonly ('text' | 'number')[]> = {
  ...Object.fromEntries(['md4', 'md5', 'sha1', 'sha256', 'sha384', 'sha512'].map((n) => [n, ['text']])),
  ...Object.fromEntries(HMACS.map((a) => [`hmac_${a}`, ['text', 'text']])),
  ...Object.fromEntries(PBKDF2S.map((a) => [`pbkdf2_${a}`, ['text', 'text', 'number', 'number']])),
  scrypt: ['text', 'text', 'number', 'number', 'number', 'number'],
  bcrypt: ['text'],
  lower: ['text'],
  upper: ['text'],
  utf16le: ['text'],
};

const EXPECTED_TERM =
  "password, salt, pepper, a 'literal' or a call such as md5(...), sha256(...), hmac_sha256(key, message), pbkdf2_sha256(...), bcrypt(...)";

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
    if (node.kind !== 'call' || ['lower', 'upper', 'utf16le'].includes(node.name))
      this.fail('a hash function call such as sha1(...) around the whole expression', start);
    if (this.peek() !== undefined) this.fail('the end of the expression');
    return node;
  }

  /** concat := term ('+' term)* */
  private concat(): ExpressionNode {
    const parts = [this.term()];
    while (this.peek() === '+') {
      this.pos++;
      parts.push(this.term());
    }
    return parts.length === 1 ? parts[0]! : { kind: 'concat', parts };
  }

  private literal(): ExpressionNode {
    const start = this.pos;
    this.pos++;
    let text = '';
    while (this.pos < this.text.length && this.text[this.pos] !== "'") {
      if (this.text[this.pos] === '\\' && this.pos + 1 < this.text.length) this.pos++;
      text += this.text[this.pos++];
    }
    if (this.text[this.pos] !== "'") this.fail('a closing quote', start);
    this.pos++;
    return { kind: 'literal', text };
  }

  /** term := 'password' | 'salt' | 'pepper' | literal | number | name '(' concat (',' concat)* ')' */
  private term(): ExpressionNode {
    this.skipSpaces();
    const start = this.pos;
    if (this.text[this.pos] === "'") return this.literal();
    const number = /^\d+/.exec(this.text.slice(this.pos))?.[0];
    if (number) {
      this.pos += number.length;
      return { kind: 'number', value: Number(number) };
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.pos))?.[0];
    if (!name) this.fail(EXPECTED_TERM);
    this.pos += name.length;
    const lower = name.toLowerCase();
    if (lower === 'password' || lower === 'salt' || lower === 'pepper') return { kind: lower };
    const signature = SIGNATURES[lower];
    if (!signature) {
      throw new SchemeExpressionError(
        `Invalid scheme expression: unknown name "${name}" at position ${start + 1}; expected ${EXPECTED_TERM}.`,
      );
    }
    if (this.peek() !== '(') this.fail(`"(" after ${lower}`);
    this.pos++;
    if (++this.depth > MAX_DEPTH) this.fail(`at most ${MAX_DEPTH} nested calls`, start);
    const args = [this.concat()];
    while (this.peek() === ',') {
      this.pos++;
      args.push(this.concat());
    }
    this.depth--;
    if (this.peek() !== ')') this.fail(args.length < signature.length ? '"," or "+"' : '"+" or ")"');
    this.pos++;
    if (args.length !== signature.length) {
      throw new SchemeExpressionError(
        `Invalid scheme expression: ${lower}() at position ${start + 1} takes ${signature.length} argument${signature.length === 1 ? '' : 's'}, got ${args.length}.`,
      );
    }
    signature.forEach((type, i) => {
      if ((type === 'number') !== (args[i]!.kind === 'number')) {
        throw new SchemeExpressionError(
          `Invalid scheme expression: argument ${i + 1} of ${lower}() at position ${start + 1} must be ${type === 'number' ? 'a whole number' : 'text, not a number'}.`,
        );
      }
    });
    return { kind: 'call', name: lower as FunctionName, args };
  }
}

function format(node: ExpressionNode): string {
  switch (node.kind) {
    case 'password':
    case 'salt':
    case 'pepper':
      return node.kind;
    case 'literal':
      return `'${node.text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
    case 'number':
      return String(node.value);
    case 'concat':
      return node.parts.map(format).join(' + ');
    case 'call':
      return `${node.name}(${node.args.map(format).join(', ')})`;
  }
}

function uses(node: ExpressionNode, kind: 'password' | 'salt' | 'pepper'): boolean {
  if (node.kind === kind) return true;
  if (node.kind === 'concat') return node.parts.some((p) => uses(p, kind));
  return node.kind === 'call' && node.args.some((p) => uses(p, kind));
}

function checkCall(node: ExpressionNode, root: boolean): void {
  if (node.kind === 'concat') for (const p of node.parts) checkCall(p, false);
  if (node.kind !== 'call') return;
  if (node.name === 'bcrypt' && !root) {
    throw new SchemeExpressionError(
      'Invalid scheme expression: bcrypt(...) can only be the outermost call (the stored value is the bcrypt hash).',
    );
  }
  const n = (i: number) => (node.args[i] as { value: number }).value;
  if (node.name.startsWith('pbkdf2_')) {
    if (n(2) < 1 || n(2) > PBKDF2_LIMIT)
      throw new SchemeExpressionError(
        `Invalid scheme expression: ${node.name}() iterations must be 1 to ${PBKDF2_LIMIT}.`,
      );
    if (n(3) < 1 || n(3) > MAX_BYTES)
      throw new SchemeExpressionError(
        `Invalid scheme expression: ${node.name}() bytes must be 1 to ${MAX_BYTES}.`,
      );
  }
  if (node.name === 'scrypt') {
    const [N, r, p, bytes] = [n(2), n(3), n(4), n(5)];
    if (N < 2 || (N & (N - 1)) !== 0 || r < 1 || p < 1 || bytes < 1 || bytes > MAX_BYTES)
      throw new SchemeExpressionError(
        'Invalid scheme expression: scrypt(password, salt, N, r, p, bytes) needs N a power of two, r and p at least 1, bytes 1 to 1024.',
      );
    if (128 * N * r * p > MAX_SCRYPT_MEMORY)
      throw new SchemeExpressionError(
        'Invalid scheme expression: scrypt() parameters need more than 512 MiB.',
      );
  }
  for (const arg of node.args) checkCall(arg, false);
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
  checkCall(root, true);
  return {
    root,
    canonical: format(root),
    usesSalt: uses(root, 'salt'),
    usesPepper: uses(root, 'pepper'),
  };
}

/** True when the text looks like an expression rather than a scheme id such as "bcrypt". */
export function looksLikeExpression(text: string): boolean {
  return text.includes('(');
}

interface Inputs {
  password: string;
  salt: string;
  pepper: string;
}

const text = (b: Buffer) => b.toString('utf8');

async function value(node: ExpressionNode, inputs: Inputs): Promise<Buffer> {
  switch (node.kind) {
    case 'password':
    case 'salt':
    case 'pepper':
      return Buffer.from(inputs[node.kind], 'utf8');
    case 'literal':
      return Buffer.from(node.text, 'utf8');
    case 'number':
      return Buffer.from(String(node.value), 'utf8');
    case 'concat':
      return Buffer.concat(await Promise.all(node.parts.map((p) => value(p, inputs))));
    case 'call': {
      const out = await call(node, inputs);
      // Text transforms give text; a hash nested in another gives its lowercase hex.
      return ['lower', 'upper', 'utf16le', 'bcrypt'].includes(node.name)
        ? out
        : Buffer.from(out.toString('hex'), 'latin1');
    }
  }
}

/** A call's raw result: the digest bytes for hashes, the transformed text for the rest. */
async function call(node: CallNode, inputs: Inputs): Promise<Buffer> {
  const args = await Promise.all(node.args.map((a) => value(a, inputs)));
  const n = (i: number) => (node.args[i] as { value: number }).value;
  const { name } = node;
  if (name === 'lower') return Buffer.from(text(args[0]!).toLowerCase(), 'utf8');
  if (name === 'upper') return Buffer.from(text(args[0]!).toUpperCase(), 'utf8');
  if (name === 'utf16le') return Buffer.from(text(args[0]!), 'utf16le');
  if (name === 'bcrypt') return args[0]!;
  if (isDigestAlgorithm(name)) return digest(name, args[0]!);
  if (name.startsWith('hmac_')) return hmac(name.slice(5) as HmacAlgorithm, args[0]!, args[1]!);
  if (name.startsWith('pbkdf2_')) {
    return pbkdf2Async(args[0]!, args[1]!, n(2), n(3), name.slice(7) as Pbkdf2Algorithm);
  }
  const [N, r, p, bytes] = [n(2), n(3), n(4), n(5)];
  return scryptAsync(args[0]!, args[1]!, bytes, { N, r, p, maxmem: 256 * N * r * p + 1024 * 1024 });
}

/** The raw result an expression gives (for bcrypt: the key bcrypt is given). */
export function computeExpression(
  expression: SchemeExpression,
  password: string,
  salt = '',
  pepper = '',
): Promise<Buffer> {
  return call(expression.root, { password, salt, pepper });
}

/** The number of bytes the outermost call yields, for decoding the stored value. */
export function expressionSize(expression: SchemeExpression): number | undefined {
  const { root } = expression;
  const n = (i: number) => (root.args[i] as { value: number }).value;
  if (isDigestAlgorithm(root.name)) return DIGEST_SIZE[root.name];
  if (root.name.startsWith('hmac_')) return DIGEST_SIZE[root.name.slice(5) as HmacAlgorithm];
  if (root.name.startsWith('pbkdf2_')) return n(3);
  if (root.name === 'scrypt') return n(5);
  return undefined;
}

function decodeStored(expression: SchemeExpression, stored: string): Buffer {
  const size = expressionSize(expression)!;
  const expected = decodeDigest(stored, size);
  if (!expected) {
    throw new UnusableHashError(
      'malformed',
      `stored hash is not the hex or base64 of the ${size} bytes ${expression.root.name}() gives`,
      expression.canonical,
    );
  }
  return expected;
}

/** Fails when a salt or pepper the expression reads was not given. */
export function requireInputs(
  expression: SchemeExpression,
  salt: string | undefined,
  pepper: string | undefined,
): void {
  if (expression.usesSalt && salt === undefined) {
    throw new UnusableHashError(
      'salt_missing',
      'the scheme uses a salt but none was given. Fix: set legacy.columns.salt to the salt column (or --salt)',
      expression.canonical,
    );
  }
  if (expression.usesPepper && pepper === undefined) {
    throw new UnusableHashError(
      'pepper_missing',
      'the scheme uses a pepper but none is configured. Fix: set legacy.password.pepper (or --pepper)',
      expression.canonical,
    );
  }
}

/** Verifies a stored value against an expression; a salted or peppered one needs its input. */
export async function verifyExpression(
  expression: SchemeExpression,
  password: string,
  stored: string,
  salt: string | undefined,
  pepper?: string | undefined,
): Promise<boolean> {
  if (expression.root.name === 'bcrypt') {
    parseBcrypt(stored, expression.canonical);
    requireInputs(expression, salt, pepper);
    const key = await computeExpression(expression, password, salt ?? '', pepper ?? '');
    return verifyBcrypt(key, stored, expression.canonical);
  }
  const expected = decodeStored(expression, stored);
  requireInputs(expression, salt, pepper);
  return constantTimeEqual(await computeExpression(expression, password, salt ?? '', pepper ?? ''), expected);
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
  const { name, args } = expression.root;
  if (name !== 'md5' && name !== 'sha1' && name !== 'sha256') return undefined;
  const arg = args[0]!;
  const kinds = arg.kind === 'concat' ? arg.parts.map((p) => p.kind).join(',') : arg.kind;
  let formSalt: string;
  if (kinds === 'password') formSalt = '';
  else if (kinds === 'salt,password') formSalt = salt ?? '';
  else return undefined;
  const expected = decodeDigest(stored, DIGEST_SIZE[name]);
  return expected ? { algorithm: name, salt: formSalt, hash: expected.toString('hex') } : undefined;
}
