// The signature check docs/targets.md gives webhook receivers, taken out of the document and
// run as a receiver would run it, against requests the bridge signed.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { signatureHeader } from '../../../src/target/webhook/signature.ts';

const DOC = new URL('../../../docs/targets.md', import.meta.url);
const SECRET = 'a-receivers-signing-secret-of-32-chars!';
type Verify = (secret: string, header: string | undefined, rawBody: string, tolerance?: number) => boolean;
let verify: Verify;

beforeAll(async () => {
  const text = readFileSync(DOC, 'utf8');
  const block = /<!-- webhook-verify-snippet -->\s*```js\n([\s\S]*?)```/.exec(text)?.[1];
  expect(block, 'docs/targets.md holds the marked snippet').toBeDefined();
  const file = join(mkdtempSync(join(tmpdir(), 'snippet-')), 'verify.mjs');
  writeFileSync(file, block!);
  verify = (await import(pathToFileURL(file).href)).verifyOidcBridgeSignature as Verify;
});

describe("the documented receiver's signature check", () => {
  const body = JSON.stringify({ id: 'deliver.28774', type: 'user.migrated' });

  it('accepts a request the bridge signed', () => {
    expect(verify(SECRET, signatureHeader(SECRET, body), body)).toBe(true);
  });

  it('refuses a changed body, another secret, no header and a stale timestamp', () => {
    const header = signatureHeader(SECRET, body);
    expect(verify(SECRET, header, `${body} `)).toBe(false);
    expect(verify(`${SECRET}!`, header, body)).toBe(false);
    expect(verify(SECRET, undefined, body)).toBe(false);
    expect(verify(SECRET, signatureHeader(SECRET, body, Date.now() - 10 * 60_000), body)).toBe(false);
  });
});
