// `oidc-bridge reference-target` as a process would run it: it listens, logs its URL, and
// closes on SIGTERM.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { serveReferenceTarget } from '../../src/target/serve.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, logger: createLogger({ destination, level: 'info' }) };
}

describe('serveReferenceTarget', () => {
  it('listens, logs its import URL and requires the token it was given', async () => {
    const { lines, logger } = capture();
    const served = await serveReferenceTarget({ port: 0, token: 'tok', logger });
    try {
      const importUrl = String(served.targetConfig.url);
      expect(lines.some((l) => l.includes(importUrl))).toBe(true);
      expect((await fetch(importUrl, { method: 'POST', body: '{}' })).status).toBe(401);
      expect(lines.join('\n')).not.toContain('tok"');
    } finally {
      await served.close();
    }
  });

  it('stops listening on SIGTERM', async () => {
    const { lines, logger } = capture();
    const served = await serveReferenceTarget({ port: 0, logger });
    process.emit('SIGTERM', 'SIGTERM');
    await expect.poll(() => lines.some((l) => l.includes('reference target stopped'))).toBe(true);
    await expect(fetch(`${served.url}/healthz`)).rejects.toThrow();
    await served.close();
  });
});
