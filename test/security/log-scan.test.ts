// The end-of-run log scan itself: it finds a registered secret, JSON-escaped or not, and
// anything shaped like a password hash in a captured log line, and names the kind of secret
// and the place without repeating the secret.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanLogDirectory } from '../support/log-scan-setup.ts';

function runDir(secrets: Array<{ kind: string; value: string }>, lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'obt-log-scan-'));
  writeFileSync(join(dir, '1.secrets.jsonl'), secrets.map((s) => `${JSON.stringify(s)}\n`).join(''));
  writeFileSync(join(dir, '1.log'), lines.map((l) => `${l}\n`).join(''));
  return dir;
}

describe('the log scan', () => {
  it('passes lines that hold no registered secret', () => {
    const dir = runDir(
      [{ kind: 'password', value: 'Correct-Horse-77' }],
      [JSON.stringify({ msg: 'login failed', reason: 'wrong_password' })],
    );
    expect(scanLogDirectory(dir)).toEqual({ lines: 1, secrets: 1, leaks: [] });
  });

  it('finds a registered password, also when JSON escaping changed its spelling', () => {
    const tricky = 'quote"and\\slash-77';
    const dir = runDir(
      [
        { kind: 'password', value: 'Correct-Horse-77' },
        { kind: 'client_secret', value: tricky },
      ],
      [
        JSON.stringify({ msg: 'ok' }),
        JSON.stringify({ msg: 'oops', body: 'password=Correct-Horse-77' }),
        JSON.stringify({ msg: 'oops', nested: { s: tricky } }),
      ],
    );
    expect(scanLogDirectory(dir).leaks).toEqual([
      { kind: 'password', file: '1.log', line: 2 },
      { kind: 'client_secret', file: '1.log', line: 3 },
    ]);
  });

  it('finds a password hash nobody registered by its shape', () => {
    const dir = runDir(
      [],
      [
        JSON.stringify({ stored: '$2y$10$fKm6UoynjcE3cDoM5oVm3.WHXWTIv5hhyohExw2t83pOGqCUXUabc' }),
        JSON.stringify({ h: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA' }),
        JSON.stringify({ scheme: 'bcrypt', msg: 'the hash has cost $2y$10$ and is fine to mention' }),
      ],
    );
    expect(scanLogDirectory(dir).leaks.map((l) => [l.kind, l.line])).toEqual([
      ['bcrypt hash', 1],
      ['argon2 hash', 2],
    ]);
  });

  it('finds a password reset token or link nobody registered by its shape', () => {
    const token = `${'a1B2c3D4e5F6g7H8i9J0kL'}.${'Zy9-Xw8_Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBa987Qq'}`;
    const dir = runDir(
      [],
      [
        JSON.stringify({ msg: 'sent', link: `https://login.example/interaction/none/reset/${token}` }),
        JSON.stringify({ msg: 'e-mail sent', mail: 12, kind: 'password_reset', attempts: 1 }),
        // A JWT's segments are joined by dots on both sides: not a reset token.
        JSON.stringify({ id_token: `eyJhbGciOiJSUzI1NiJ9xx.${token.split('.')[1]}.c2lnbmF0dXJl` }),
      ],
    );
    expect(scanLogDirectory(dir).leaks).toEqual([{ kind: 'reset token', file: '1.log', line: 1 }]);
  });
});
