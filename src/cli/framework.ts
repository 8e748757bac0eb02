// The command-line framework: each command declares its usage and options (node's
// parseArgs, strict), and `runCli` maps every outcome to an exit code in one place:
// 0 success, 1 a negative answer (no match, failures found), 2 bad input or config.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type BridgeErrorCode, ConfigError, isBridgeError, UsageError } from '../errors.ts';

export interface Io {
  out(line: string): void;
  err(line: string): void;
  stdin: NodeJS.ReadableStream;
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface Command {
  /** e.g. "clients add" */
  name: string;
  summary: string;
  usage: string;
  options: OptionSpec;
  /** Positional arguments allowed (names for the usage line). */
  positionals?: string[];
  run(args: { values: Record<string, unknown>; positionals: string[] }, io: Io): Promise<number>;
}

export const CONFIG_OPTION: OptionSpec = {
  config: { type: 'string', short: 'c' },
  help: { type: 'boolean', short: 'h' },
};

export function helpText(commands: Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'oidc-bridge: an OpenID Connect provider that migrates users off a legacy user database at their first login.',
    '',
    'Usage: oidc-bridge <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Every command takes --config FILE (default: $OIDC_BRIDGE_CONFIG, then ./oidc-bridge.yaml).',
    'Run "oidc-bridge <command> --help" for its options.',
  ].join('\n');
}

// A string option's value may begin with a dash: identifiers in base64url do (a session
// "-UwP…"). parseArgs refuses `--revoke -UwP…` as ambiguous, so a value that names no option
// of the command, and is not spelled like one (`--dryrun`, a typo, stays an unknown option),
// is joined to its option (`--revoke=-UwP…`) before parsing.
function joinDashValues(argv: string[], options: OptionSpec): string[] {
  const byFlag = new Map<string, { name: string; type: string }>();
  for (const [name, o] of Object.entries(options)) {
    byFlag.set(`--${name}`, { name, type: o.type });
    if (o.short) byFlag.set(`-${o.short}`, { name, type: o.type });
  }
  const namesOption = (a: string) =>
    a === '--' || byFlag.has(a.split('=')[0]!) || /^--[a-z][a-z0-9-]*(=|$)/.test(a);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const opt = byFlag.get(a);
    const next = argv[i + 1];
    if (opt?.type === 'string' && next?.startsWith('-') && next.length > 1 && !namesOption(next)) {
      out.push(`--${opt.name}=${next}`);
      i++;
    } else {
      out.push(a);
    }
    if (a === '--') {
      out.push(...argv.slice(i + 1));
      break;
    }
  }
  return out;
}

function parseFor(cmd: Command, argv: string[]) {
  const options = { ...CONFIG_OPTION, ...cmd.options };
  try {
    return parseArgs({
      args: joinDashValues(argv, options),
      options,
      allowPositionals: (cmd.positionals?.length ?? 0) > 0,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(
      (err as Error).message.replace(/\. To specify a positional argument.*$/, '.'),
      cmd.usage,
    );
  }
}

export async function runCli(commands: Command[], argv: string[], io: Io): Promise<number> {
  const words = argv.filter((a) => !a.startsWith('-'));
  // The longest command name that the first words spell.
  const cmd = [...commands]
    .sort((a, b) => b.name.split(' ').length - a.name.split(' ').length)
    .find((c) => c.name.split(' ').every((w, i) => words[i] === w));
  if (!cmd) {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      io.out(helpText(commands));
      return argv.length === 0 ? 2 : 0;
    }
    const group = commands.filter((c) => c.name.startsWith(`${words[0]} `));
    io.err(
      group.length
        ? `Unknown or missing sub-command for "${words[0]}". Use one of: ${group.map((c) => c.name).join(', ')}.`
        : `Unknown command "${words[0] ?? argv[0]}". Run "oidc-bridge --help" for the list.`,
    );
    return 2;
  }
  const rest = [...argv];
  for (const w of cmd.name.split(' ')) rest.splice(rest.indexOf(w), 1);
  try {
    const parsed = parseFor(cmd, rest);
    if (parsed.values.help) {
      io.out(cmd.usage);
      return 0;
    }
    const maxPositionals = cmd.positionals?.length ?? 0;
    if (parsed.positionals.length > maxPositionals) {
      throw new UsageError(`Unexpected argument "${parsed.positionals[maxPositionals]}".`, cmd.usage);
    }
    return await cmd.run(
      { values: parsed.values as Record<string, unknown>, positionals: parsed.positionals },
      io,
    );
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`Error: ${err.message}`);
      if (err.usage) io.err(`\n${err.usage}`);
      return 2;
    }
    if (err instanceof ConfigError) {
      io.err(err.message);
      return 2;
    }
    if (isBridgeError(err)) {
      io.err(`Error: ${err.message}`);
      // Exit 2: the operator has something to fix (input, configuration, a database to reach).
      return err.status < 500 || EXIT_TWO.has(err.code) ? 2 : 1;
    }
    io.err(`Error: ${(err as Error).message ?? String(err)}`);
    return 1;
  }
}

const EXIT_TWO = new Set<BridgeErrorCode>([
  'store_unavailable',
  'legacy_unavailable',
  'legacy_schema_missing',
  'legacy_config_invalid',
  'target_mapping_invalid',
]);

export function requireString(values: Record<string, unknown>, name: string, usage: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required.`, usage);
  return v;
}

export function positiveInt(
  values: Record<string, unknown>,
  name: string,
  usage: string,
  def: number,
): number {
  const v = values[name];
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`--${name} must be a positive whole number, got "${String(v)}".`, usage);
  return n;
}
