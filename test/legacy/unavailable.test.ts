// A legacy database that is down or hangs: every call fails fast with legacy_unavailable
// (503), within the connect timeout, logged once with the driver code and never with the
// login name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LegacyUnavailableError } from '../../src/errors.ts';
import { createLegacySource, type LegacySource } from '../../src/legacy/source.ts';
import { captureLogger, legacyConfig, silentServer } from './support.ts';

let silent: Awaited<ReturnType<typeof silentServer>>;
const sources: LegacySource[] = [];

function source(connection: string, extra: Record<string, unknown> = {}, log = captureLogger()) {
  const s = createLegacySource(
    legacyConfig({ connection, table: 'be_users', query_timeout_ms: 500, ...extra }),
    {
      logger: log.logger,
    },
  );
  sources.push(s);
  return { s, log };
}

async function timed<T>(p: Promise<T>): Promise<{ err: unknown; ms: number }> {
  const started = Date.now();
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  return { err, ms: Date.now() - started };
}

beforeAll(async () => {
  silent = await silentServer();
});

afterAll(async () => {
  for (const s of sources) await s.close();
  await silent?.close();
});

describe('a legacy database that is down', () => {
  for (const url of ['mysql://root@127.0.0.1:1/x', 'postgres://postgres@127.0.0.1:1/x']) {
    it(`refuses at once with legacy_unavailable (${url.split(':')[0]})`, async () => {
      const { s, log } = source(url);
      const { err, ms } = await timed(s.findByIdentifier('someone@example.com'));
      expect(err).toBeInstanceOf(LegacyUnavailableError);
      expect(err).toMatchObject({ code: 'legacy_unavailable', status: 503, expose: false });
      expect((err as Error).message).toContain('ECONNREFUSED');
      expect(ms).toBeLessThan(2000);
      const errors = log.lines().filter((l) => l.msg === 'legacy database unavailable');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ errorCode: 'ECONNREFUSED', level: 50 });
      expect(log.text()).not.toContain('someone@example.com');
    });
  }

  it('logs an outage once, however many lookups fail', async () => {
    const { s, log } = source('mysql://root@127.0.0.1:1/x');
    for (let i = 0; i < 5; i++)
      await expect(s.findByIdentifier(`user${i}`)).rejects.toThrow(LegacyUnavailableError);
    await expect(s.ping()).rejects.toThrow(LegacyUnavailableError);
    await expect(s.page(undefined, 10)).rejects.toThrow(LegacyUnavailableError);
    await expect(s.count()).rejects.toThrow(LegacyUnavailableError);
    expect(log.lines().filter((l) => l.msg === 'legacy database unavailable')).toHaveLength(1);
    expect(log.text()).not.toMatch(/user\d/);
  });
});

describe('a legacy database that accepts connections and never answers', () => {
  for (const scheme of ['mysql', 'postgres']) {
    it(`gives up within query_timeout_ms instead of hanging (${scheme})`, async () => {
      const { s } = source(`${scheme}://root@127.0.0.1:${silent.port}/x`);
      const { err, ms } = await timed(s.findByIdentifier('someone'));
      expect(err).toBeInstanceOf(LegacyUnavailableError);
      expect(ms).toBeLessThan(2500);
      const ping = await timed(s.ping());
      expect(ping.err).toBeInstanceOf(LegacyUnavailableError);
      expect(ping.ms).toBeLessThan(2500);
    });
  }
});

describe('wrong credentials', () => {
  it('answer legacy_unavailable with the access-denied code (MariaDB)', async () => {
    const { s, log } = source('mysql://nobody-here:wrong@127.0.0.1:3306/mysql');
    const { err } = await timed(s.findByIdentifier('someone'));
    expect(err).toMatchObject({ code: 'legacy_unavailable' });
    expect((err as Error).message).toContain('ER_ACCESS_DENIED_ERROR');
    expect(log.text()).not.toContain('wrong');
  });

  it('answer legacy_unavailable for a database that does not exist (PostgreSQL)', async () => {
    const { s } = source('postgres://postgres@127.0.0.1:5432/no_such_database_here');
    const { err } = await timed(s.findByIdentifier('someone'));
    expect(err).toMatchObject({ code: 'legacy_unavailable' });
    expect((err as Error).message).toContain('3D000');
  });
});

describe('a connection URL the bridge cannot use', () => {
  it('names legacy.connection when no database is given', () => {
    expect(() => source('mysql://root@127.0.0.1:3306/')).toThrow(
      expect.objectContaining({ code: 'legacy_config_invalid', key: 'legacy.connection' }),
    );
  });

  it('names legacy.connection for an unknown option', () => {
    expect(() => source('mysql://root@127.0.0.1:3306/shop?charset=latin1')).toThrow(
      expect.objectContaining({ code: 'legacy_config_invalid', key: 'legacy.connection' }),
    );
  });
});
