// legacy check: the import guide's "test user" step. Reads one legacy row, shows how the
// configuration maps it, checks the password against its hash (and finds the scheme when
// the configured one does not match), and prints the payload the target would receive.
// It writes nothing anywhere, and never prints the hash or the salt.
import { UsageError } from '../../errors.ts';
import {
  closeWorkerPool,
  detectScheme,
  identifyScheme,
  schemeForRow,
  verifyPassword,
} from '../../hashing/registry.ts';
import { createLegacySource } from '../../legacy/source.ts';
import { silentLogger } from '../../logger.ts';
import { describeProblems } from '../../target/problems.ts';
import { createTargetFormat } from '../../target/registry.ts';
import { configFrom } from '../context.ts';
import { type Command, requireString } from '../framework.ts';

const usage = `Usage: oidc-bridge legacy check --user IDENTIFIER --password P [--config FILE] [--json]

Reads the legacy row of IDENTIFIER, shows the column mapping, checks the password against
the stored hash, and prints the payload the target would receive. Writes nothing.
Exit codes: 0 the password matches and the target would take the payload, 1 no such user, no
match or a payload the target would reject, 2 bad input or config.`;

export const legacyCommands: Command[] = [
  {
    name: 'legacy check',
    summary: "the import guide's test-user step: read, map, verify and preview one legacy user",
    usage,
    options: { user: { type: 'string' }, password: { type: 'string' }, json: { type: 'boolean' } },
    async run({ values }, io) {
      const identifier = requireString(values, 'user', usage);
      if (typeof values.password !== 'string') throw new UsageError('--password is required.', usage);
      const password = values.password;
      const config = configFrom(values, io);
      if (!config.legacy) {
        throw new UsageError(
          'The configuration has no legacy: section. Fix: add legacy.connection and legacy.table (see the configuration reference).',
          usage,
        );
      }
      const legacy = createLegacySource(config.legacy, { logger: silentLogger });
      try {
        await legacy.checkSchema();
        let row = await legacy.findByIdentifier(identifier);
        if (!row) {
          io.err(
            config.legacy.kind === 'sql'
              ? `No row in ${legacy.label} matches "${identifier}" on ${config.legacy.identifiers.join(' or ')}${config.legacy.where ? ' with the configured where filter' : ''}.`
              : `No user of ${legacy.label} matches "${identifier}" (or the account is disabled).`,
          );
          return 1;
        }
        // A store that checks passwords itself answers the profile only with the right one.
        const own = !row.password && legacy.verify ? await legacy.verify(row, password) : undefined;
        if (own?.row) row = own.row;
        const mapping = legacy.describeMapping(row);
        const detected = row.password ? detectScheme(row.password, row.salt)?.id : undefined;
        let verdict: { match: boolean; scheme: string } | { error: string; reason?: string };
        try {
          verdict = own
            ? { match: own.match, scheme: own.scheme }
            : row.password
              ? await verifyPassword({
                  password,
                  stored: row.password,
                  salt: row.salt,
                  pepper: config.legacy.password.pepper,
                  scheme: schemeForRow(row.scheme, config.legacy.password),
                })
              : { error: 'the password column is empty (NULL)' };
        } catch (err) {
          verdict = { error: (err as Error).message, reason: (err as { reason?: string }).reason };
        }
        const matched = 'match' in verdict && verdict.match;
        const suggestion =
          !matched && row.password
            ? await identifyScheme({
                password,
                stored: row.password,
                salt: row.salt,
                pepper: config.legacy.password.pepper,
              }).catch(() => undefined)
            : undefined;
        const claims = legacy.mapClaims(row);
        const target = createTargetFormat(config.target, { logger: silentLogger });
        let payload: Record<string, unknown> | undefined;
        let problems: string | undefined;
        if (target.delivers) {
          const preview = target.preview({ legacyId: row.id, row: row.row, claims });
          payload = preview.payload;
          if (preview.problems.length) problems = describeProblems(preview.problems, row.id);
        }
        if (values.json) {
          io.out(
            JSON.stringify({
              legacy_id: row.id,
              mapping,
              detected_scheme: detected ?? null,
              verdict,
              suggestion: suggestion ?? null,
              claims,
              payload: payload ?? null,
              payload_problems: problems ?? null,
            }),
          );
        } else {
          io.out(`Legacy row ${row.id} in ${legacy.label}`);
          io.out('\nMapping:');
          for (const m of mapping)
            io.out(
              `  ${m.key.padEnd(34)} ${m.column.padEnd(22)} ${m.present ? m.value : '(no such column)'}`,
            );
          io.out(`\nHash: ${detected ? `detected as ${detected}` : 'no known format detected'}`);
          if ('match' in verdict)
            io.out(`Password: ${verdict.match ? 'MATCHES' : 'does NOT match'} (scheme ${verdict.scheme})`);
          else
            io.out(
              `Password: cannot be checked: ${verdict.error}${verdict.reason ? ` (${verdict.reason})` : ''}`,
            );
          if (suggestion) {
            io.out(`\nThe password matches with scheme ${suggestion.scheme}. Use these lines:`);
            for (const l of suggestion.configLines) io.out(`  ${l}`);
          }
          io.out(`\nClaims: ${JSON.stringify(claims)}`);
          if (payload) {
            io.out(
              `\nPayload for ${'url' in config.target ? config.target.url : 'the target'} (${target.type}):`,
            );
            io.out(JSON.stringify(payload, null, 2));
            if (problems)
              io.out(
                `\nThe target would reject it: ${problems}\nFix: map the field in target.mapping, or give a constant in target.defaults.`,
              );
          }
          io.out('\nNothing was written.');
        }
        // As hash verify: 0 only when the login would succeed and the target would take the user.
        return matched && !problems ? 0 : 1;
      } finally {
        await legacy.close();
        await closeWorkerPool();
      }
    },
  },
];
