// The commerce platform's user-import format as a TargetFormat: its password form (a salted
// md5/sha1/sha256 made from the password at login, or a digest hash taken as it is at
// import), its mapping and validation, its import API as the sink, and its bulk import.
import type { CommerceImportConfig } from '../../config/schema.ts';
import { ConfigError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import type { TargetFormat } from '../types.ts';
import { createCommerceBulk } from './bulk.ts';
import { buildUser, checkMapping, mappedColumns } from './mapping.ts';
import { passwordFromPlain } from './password.ts';
import { validateUser } from './schema.ts';
import { createCommerceSink } from './sink.ts';

export function createCommerceImportFormat(
  target: CommerceImportConfig,
  deps: { logger?: Logger | undefined } = {},
): TargetFormat {
  // A mapping that names no target field stops the start, not every login's delivery.
  const issues = checkMapping(target.mapping, target.defaults);
  if (issues.length) throw new ConfigError(issues.map((i) => `${i}.`));
  return {
    type: 'commerce-import',
    delivers: true,
    updates: false,
    columns: mappedColumns(target),
    timeoutMs: target.timeout_ms,
    cheapPasswordForm: true,
    async passwordForm(password) {
      return passwordFromPlain(password, target.password_algorithm);
    },
    preview({ row, legacyId }) {
      const user = buildUser(
        row,
        { mapping: target.mapping, defaults: target.defaults, legacyId },
        { kind: 'plain', password: 'x', algorithm: target.password_algorithm },
      );
      const checked = validateUser(user);
      return {
        payload: {
          ...user,
          password: `${target.password_algorithm}$<fresh salt>$<hash of salt + password, built at login>`,
        },
        problems: checked.ok ? [] : checked.problems,
      };
    },
    deliver: createCommerceSink(target, deps.logger),
    bulk: createCommerceBulk(target),
  };
}
