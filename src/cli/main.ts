// The oidc-bridge command line: the list of commands and the process glue. All parsing,
// validation and exit codes live in framework.ts; commands live in commands/.
import { accountCommands } from './commands/accounts.ts';
import { auditCommands } from './commands/audit.ts';
import { clientCommands } from './commands/clients.ts';
import { demoCommand } from './commands/demo.ts';
import { hashCommands } from './commands/hash.ts';
import { importCommand } from './commands/import.ts';
import { keyCommands } from './commands/keys.ts';
import { legacyCommands } from './commands/legacy.ts';
import { migrationCommands } from './commands/migration.ts';
import { referenceTargetCommand } from './commands/reference-target.ts';
import { startCommand } from './commands/start.ts';
import { workerCommand } from './commands/worker.ts';
import { type Command, runCli } from './framework.ts';
import { stopWithParentUnderNpm } from './parent-watch.ts';

export const commands: Command[] = [
  startCommand,
  ...clientCommands,
  ...keyCommands,
  ...hashCommands,
  ...legacyCommands,
  ...migrationCommands,
  ...accountCommands,
  importCommand,
  workerCommand,
  ...auditCommands,
  referenceTargetCommand,
  demoCommand,
];

// `oidc-bridge migration status | head`: once the reader has gone, there is nobody left to
// tell anything, so a closed pipe ends the command quietly instead of with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

stopWithParentUnderNpm();

const code = await runCli(commands, process.argv.slice(2), {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
  stdin: process.stdin,
  isTTY: process.stdout.isTTY === true,
  env: process.env,
});
process.exitCode = code;
