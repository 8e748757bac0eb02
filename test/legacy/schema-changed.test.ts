// A legacy table that fitted the configuration and then disappears while the bridge runs
// (renamed, dropped) is an outage of the legacy database, on MariaDB and on PostgreSQL alike:
// legacy_schema_missing (503), logged once with what is missing and the fix, and over as soon
// as the table is back. The same mismatch before any statement worked stays a config error.
import knexPkg from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLegacySource } from '../../src/legacy/source.ts';
import { createMariaDatabase, createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { captureLogger, legacyConfig } from './support.ts';

const { knex } = knexPkg;

for (const dialect of ['mysql', 'postgres'] as const) {
  describe(`a legacy table that disappears at runtime (${dialect})`, () => {
    let database: TestDatabase;
    const admin = () =>
      knex({
        client: dialect === 'mysql' ? 'mysql2' : 'pg',
        connection: database.url,
        pool: { min: 0, max: 1 },
      });

    beforeAll(async () => {
      database = dialect === 'mysql' ? await createMariaDatabase('obl') : await createPgDatabase('obl');
      const db = admin();
      try {
        await db.schema.createTable('members', (t) => {
          t.increments('id').primary();
          t.string('username').notNullable();
          t.string('email').notNullable();
          t.string('password');
        });
        await db('members').insert({ username: 'mo', email: 'mo@example.com', password: 'x' });
      } finally {
        await db.destroy();
      }
    });

    afterAll(async () => {
      await database?.drop();
    });

    it('answers legacy_schema_missing (503) while it is gone, says what and how, and recovers', async () => {
      const log = captureLogger();
      const source = createLegacySource(
        legacyConfig({
          connection: database.url,
          table: 'members',
          claims: { email: 'email', preferred_username: 'username' },
          query_timeout_ms: 2000,
        }),
        { logger: log.logger },
      );
      const db = admin();
      try {
        await source.checkSchema();
        expect((await source.findByIdentifier('mo'))?.id).toBe('1');
        await db.schema.renameTable('members', 'members_old');
        for (const call of [
          () => source.findByIdentifier('mo'),
          () => source.findById('1'),
          () => source.ping(),
        ]) {
          await expect(call()).rejects.toMatchObject({ code: 'legacy_schema_missing', status: 503 });
        }
        const errors = log.lines().filter((l) => String(l.msg).includes('no longer fits the configuration'));
        expect(errors).toHaveLength(1);
        expect(errors[0]!.msg).toContain('Table members does not exist');
        expect(errors[0]!.msg).toContain('Fix:');
        expect(log.text()).not.toContain('"mo"');
        await db.schema.renameTable('members_old', 'members');
        expect((await source.findByIdentifier('mo'))?.id).toBe('1');
        await source.ping();
      } finally {
        await db.destroy();
        await source.close();
      }
    });

    it('stays a config error naming legacy.table when the table never existed', async () => {
      const source = createLegacySource(legacyConfig({ connection: database.url, table: 'nobody_here' }));
      try {
        await expect(source.findByIdentifier('mo')).rejects.toMatchObject({
          code: 'legacy_config_invalid',
          key: 'legacy.table',
        });
      } finally {
        await source.close();
      }
    });
  });
}
