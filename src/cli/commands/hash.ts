// hash verify | identify: check a password against a stored hash without any database, so an
// operator can test an exported sample before configuring anything. verify exits 0 on a
// match, 1 on no match, 2 on bad input; --stdin checks JSON lines in one run.
import { createInterface } from 'node:readline';
import { isBridgeError, UsageError } from '../../errors.ts';
import { closeWorkerPool, identify, verifyPassword } from '../../hashing/registry.ts';
import type { Command, Io } from '../framework.ts';

const verifyUsage = `Usage: oidc-bridge hash verify --password P --hash H [--salt S] [--pepper K] [--scheme EXPR]
       oidc-bridge hash verify --stdin

  --password P   the plain password
  --hash H       the stored hash, exactly as the legacy row holds it
  --salt S       the salt, when the table keeps it in its own column
  --pepper K     the application's secret, when its hashes mix one in
  --scheme EXPR  auto (default: detected from the hash), a scheme id or preset
                 (symfony-message-digest, aspnet-membership, werkzeug-legacy, rabbitmq,
                 mysql323), or an expression such as 'sha1(salt + password)' or
                 'bcrypt(md5(password))'; with --salt and no scheme, both salt positions
                 and an HMAC keyed with the salt are tried
  --stdin        read JSON lines {"password","hash","salt"?,"pepper"?,"scheme"?} and write
                 one line per input: {"match":true|false} or {"error":"..."}

Exit codes: 0 match, 1 no match, 2 bad input.`;

const identifyUsage = `Usage: oidc-bridge hash identify --password P --hash H [--salt S] [--pepper K] [--json]

Tries the formats the hash could be and the compositions applications build with the given
salt and pepper; prints the scheme that matches, the application that writes it, and the
configuration lines that make it work. Several matches are listed with their applications.
Exit codes: 0 identified, 1 no scheme matches (the candidates are listed), 2 bad input.`;

function explain(err: unknown): string {
  if (isBridgeError(err)) {
    const reason = (err as { reason?: string }).reason;
    return reason ? `${err.message} (${reason})` : err.message;
  }
  return 'the hash could not be checked';
}

async function verifyLines(io: Io): Promise<number> {
  const rl = createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNo = 0;
  let anyError = false;
  for await (const line of rl) {
    lineNo++;
    if (line.trim() === '') continue;
    let input: unknown;
    try {
      input = JSON.parse(line);
    } catch {
      io.out(JSON.stringify({ error: `line ${lineNo}: not valid JSON` }));
      anyError = true;
      continue;
    }
    const o = input as Record<string, unknown>;
    if (!o || typeof o !== 'object' || typeof o.password !== 'string' || typeof o.hash !== 'string') {
      io.out(JSON.stringify({ error: `line ${lineNo}: needs string fields "password" and "hash"` }));
      anyError = true;
      continue;
    }
    if (
      (o.salt !== undefined && typeof o.salt !== 'string') ||
      (o.pepper !== undefined && typeof o.pepper !== 'string') ||
      (o.scheme !== undefined && typeof o.scheme !== 'string')
    ) {
      io.out(
        JSON.stringify({ error: `line ${lineNo}: "salt", "pepper" and "scheme" must be strings when given` }),
      );
      anyError = true;
      continue;
    }
    try {
      const r = await verifyPassword({
        password: o.password,
        stored: o.hash,
        salt: o.salt as string | undefined,
        pepper: o.pepper as string | undefined,
        scheme: o.scheme as string | undefined,
      });
      io.out(JSON.stringify({ match: r.match, scheme: r.scheme }));
    } catch (err) {
      io.out(JSON.stringify({ error: `line ${lineNo}: ${explain(err)}` }));
      anyError = true;
    }
  }
  return anyError ? 2 : 0;
}

/** The password, hash and salt of one check from the flags, or a usage error. */
function checkInput(
  values: Record<string, unknown>,
  usage: string,
): { password: string; stored: string; salt: string | undefined; pepper: string | undefined } {
  if (typeof values.password !== 'string') throw new UsageError('--password is required.', usage);
  if (typeof values.hash !== 'string' || values.hash === '')
    throw new UsageError('--hash is required.', usage);
  return {
    password: values.password,
    stored: values.hash,
    salt: values.salt as string | undefined,
    pepper: values.pepper as string | undefined,
  };
}

/** Runs a check; an unusable hash or a bad scheme is reported with its reason, and `ok` is false. */
async function guarded<T>(
  io: Io,
  fix: string,
  fn: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false }> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    if (!isBridgeError(err)) throw err;
    const message = explain(err);
    // Most reasons name their own fix; the generic one is for those that do not.
    io.err(`Error: ${message}.${message.includes('Fix:') ? '' : fix}`);
    return { ok: false };
  }
}

/** The flags every check takes. */
const CHECK_OPTIONS = {
  password: { type: 'string' },
  hash: { type: 'string' },
  salt: { type: 'string' },
  pepper: { type: 'string' },
} as const;

/** The crypt worker pool is started on demand; a command closes it so the process can exit. */
function closingPool(run: Command['run']): Command['run'] {
  return async (args, io) => {
    try {
      return await run(args, io);
    } finally {
      await closeWorkerPool();
    }
  };
}

export const hashCommands: Command[] = [
  {
    name: 'hash verify',
    summary: 'check a password against a stored legacy hash',
    usage: verifyUsage,
    options: { ...CHECK_OPTIONS, scheme: { type: 'string' }, stdin: { type: 'boolean' } },
    run: closingPool(async ({ values }, io) => {
      if (values.stdin) {
        if (values.password !== undefined || values.hash !== undefined) {
          throw new UsageError(
            '--stdin reads the passwords and hashes from standard input; drop --password and --hash.',
            verifyUsage,
          );
        }
        return await verifyLines(io);
      }
      const input = checkInput(values, verifyUsage);
      const checked = await guarded(io, ' Fix: check the hash was copied whole, or give --scheme.', () =>
        verifyPassword({ ...input, scheme: values.scheme as string | undefined }),
      );
      if (!checked.ok) return 2;
      const r = checked.value;
      io.out(r.match ? `match (${r.scheme})` : `no match (${r.scheme})`);
      return r.match ? 0 : 1;
    }),
  },
  {
    name: 'hash identify',
    summary: 'find the scheme of a hash from a known password, and the config for it',
    usage: identifyUsage,
    options: { ...CHECK_OPTIONS, json: { type: 'boolean' } },
    run: closingPool(async ({ values }, io) => {
      const input = checkInput(values, identifyUsage);
      const identified = await guarded(io, '', () => identify(input));
      if (!identified.ok) return 2;
      const { matches, candidates, unusable } = identified.value;
      if (values.json) {
        io.out(
          JSON.stringify({
            scheme: matches[0]?.scheme ?? null,
            matches,
            candidates,
            unusable: unusable ?? null,
          }),
        );
        return matches.length ? 0 : 1;
      }
      if (unusable) {
        io.err(
          `This is no password hash: ${unusable}. Nothing to configure: such a user cannot log in with a password.`,
        );
        return 1;
      }
      if (matches.length === 0) {
        io.err(
          'No known scheme matches this password and hash. Check the password, or whether a salt is stored apart (--salt) or the application mixes in a secret (--pepper).',
        );
        if (candidates.length) io.err(`The value could be: ${candidates.join('; ')}.`);
        return 1;
      }
      if (matches.length > 1)
        io.out(`The hash matches ${matches.length} schemes; pick the one of your application:\n`);
      for (const found of matches) {
        io.out(`scheme: ${found.scheme}${found.application ? `  (${found.application})` : ''}`);
        io.out('\nAdd to oidc-bridge.yaml:\n');
        for (const l of found.configLines) io.out(l);
        if (matches.length > 1) io.out('');
      }
      return 0;
    }),
  },
];
