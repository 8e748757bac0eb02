// hash verify | identify: check a password against a stored hash without any database, so an
// operator can test an exported sample before configuring anything. verify exits 0 on a
// match, 1 on no match, 2 on bad input; --stdin checks JSON lines in one run.
import { createInterface } from 'node:readline';
import { isBridgeError, UsageError } from '../../errors.ts';
import { closeWorkerPool, identifyScheme, verifyPassword } from '../../hashing/registry.ts';
import type { Command, Io } from '../framework.ts';

const verifyUsage = `Usage: oidc-bridge hash verify --password P --hash H [--salt S] [--scheme EXPR]
       oidc-bridge hash verify --stdin

  --password P   the plain password
  --hash H       the stored hash, exactly as the legacy row holds it
  --salt S       the salt, when the table keeps it in its own column
  --scheme EXPR  auto (default: detected from the hash), a scheme id, or an expression
                 such as 'sha1(salt + password)'; with --salt and no scheme, both salt
                 positions are tried
  --stdin        read JSON lines {"password","hash","salt"?,"scheme"?} and write one line
                 per input: {"match":true|false} or {"error":"..."}

Exit codes: 0 match, 1 no match, 2 bad input.`;

const identifyUsage = `Usage: oidc-bridge hash identify --password P --hash H [--salt S]

Prints the scheme that matches and the configuration lines that make it work.
Exit codes: 0 identified, 1 no scheme matches, 2 bad input.`;

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
      (o.scheme !== undefined && typeof o.scheme !== 'string')
    ) {
      io.out(JSON.stringify({ error: `line ${lineNo}: "salt" and "scheme" must be strings when given` }));
      anyError = true;
      continue;
    }
    try {
      const r = await verifyPassword({
        password: o.password,
        stored: o.hash,
        salt: o.salt as string | undefined,
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
): { password: string; stored: string; salt: string | undefined } {
  if (typeof values.password !== 'string') throw new UsageError('--password is required.', usage);
  if (typeof values.hash !== 'string' || values.hash === '')
    throw new UsageError('--hash is required.', usage);
  return { password: values.password, stored: values.hash, salt: values.salt as string | undefined };
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
    io.err(`Error: ${explain(err)}.${fix}`);
    return { ok: false };
  }
}

/** The flags every check takes. */
const CHECK_OPTIONS = {
  password: { type: 'string' },
  hash: { type: 'string' },
  salt: { type: 'string' },
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
      const identified = await guarded(io, '', () => identifyScheme(input));
      if (!identified.ok) return 2;
      const found = identified.value;
      if (!found) {
        if (values.json) io.out(JSON.stringify({ scheme: null }));
        else
          io.err(
            'No known scheme matches this password and hash. Check the password, or whether a salt is stored apart (--salt).',
          );
        return 1;
      }
      if (values.json) io.out(JSON.stringify(found));
      else {
        io.out(`scheme: ${found.scheme}`);
        io.out('\nAdd to oidc-bridge.yaml:\n');
        for (const l of found.configLines) io.out(l);
      }
      return 0;
    }),
  },
];
