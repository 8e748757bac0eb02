// The embedded store's files are the bridge user's alone: under umask 022 and 077 alike,
// data_dir and the store's directories are 0700 and its files 0600 after a start and after a
// close, a directory left open by an earlier version is closed at the next start.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/db.ts';

const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Every path under `root` with its permission bits, as octal text. */
function modes(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (p: string) => {
    const st = statSync(p);
    out[p] = (st.mode & 0o777).toString(8);
    if (st.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
  };
  walk(root);
  return out;
}

function expectPrivate(root: string) {
  const all = modes(root);
  expect(Object.keys(all).length).toBeGreaterThan(10);
  for (const [path, mode] of Object.entries(all)) {
    expect({ path, mode }).toEqual({ path, mode: statSync(path).isDirectory() ? '700' : '600' });
  }
}

async function openAndClose(dataDir: string) {
  const store = createStore({ data_dir: dataDir });
  await store.migrate();
  await store.db('audit_events').insert({ type: 'test', outcome: 'info' });
  expectPrivate(dataDir);
  await store.close();
}

describe('the embedded store directory', () => {
  it.each([
    ['022', 0o022],
    ['077', 0o077],
  ])('is private under umask %s, after the start and after the close', async (_label, umask) => {
    const parent = mkdtempSync(join(tmpdir(), 'obt-modes-'));
    made.push(parent);
    const before = process.umask(umask);
    try {
      await openAndClose(join(parent, 'data'));
    } finally {
      process.umask(before);
    }
    expectPrivate(join(parent, 'data'));
  });

  it('closes the database it started when it is closed before any query, and leaves its files whole', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'obt-modes-'));
    made.push(parent);
    const store = createStore({ data_dir: join(parent, 'data') });
    await store.close();
    const lite = (store.db.client as { pglite: { closed: boolean } }).pglite;
    expect(lite.closed).toBe(true);
    // The start it finished is a whole database: the next start opens and migrates it.
    const again = createStore({ data_dir: join(parent, 'data') });
    await again.migrate();
    await expect(again.db('audit_events').count({ n: '*' })).resolves.toEqual([{ n: 0 }]);
    await again.close();
  });

  it('closes a data_dir left open by an earlier start at the next one', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'obt-modes-'));
    made.push(parent);
    const dataDir = join(parent, 'data');
    mkdirSync(join(dataDir, 'store'), { recursive: true });
    chmodSync(dataDir, 0o755);
    chmodSync(join(dataDir, 'store'), 0o777);
    writeFileSync(join(dataDir, 'store', 'left-over'), 'x', { mode: 0o666 });
    chmodSync(join(dataDir, 'store', 'left-over'), 0o666);
    const store = createStore({ data_dir: dataDir });
    try {
      expect((statSync(dataDir).mode & 0o777).toString(8)).toBe('700');
      expect((statSync(join(dataDir, 'store', 'left-over')).mode & 0o777).toString(8)).toBe('600');
    } finally {
      await store.close();
    }
  });
});
