// The oidc-bridge command line: the list of commands and the process glue. All parsing,
// validation and exit codes live in framework.ts; commands live in commands/.
import { clientCommands } from './commands/clients.ts';
import { hashCommands } from './commands/hash.ts';
import { legacyCommands } from './commands/legacy.ts';
import { referenceTargetCommand } from './commands/reference-target.ts';
import { keyCommands } from './commands/keys.ts';
import { startCommand } from './commands/start.ts';
import { type Command, runCli } from './framework.ts';

export const commands: Command[] = [
  startCommand,
  ...clientCommands,
  ...keyCommands,
  ...hashCommands,
  ...legacyCommands,
  referenceTargetCommand,
];

const code = await runCli(commands, process.argv.slice(2), {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
  stdin: process.stdin,
  isTTY: process.stdout.isTTY === true,
  env: process.env,
});
process.exitCode = code;
