// docs/configuration.md is generated from the zod schema; these tests keep the two in step
// and check that the rendering says what an operator needs for every key.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  README_FILE,
  REFERENCE_FILE,
  readmeWithReference,
  renderConfigReference,
} from '../../scripts/config-reference.ts';
import { configSchema } from '../../src/config/schema.ts';

describe('the configuration reference', () => {
  it('is up to date with the schema (regenerate with npm run docs:config)', () => {
    expect(readFileSync(REFERENCE_FILE, 'utf8')).toBe(renderConfigReference());
  });

  it('is embedded, up to date, in the README', () => {
    const readme = readFileSync(README_FILE, 'utf8');
    expect(readme).toBe(readmeWithReference(readme));
    expect(readme).toContain('`legacy.password.scheme`');
  });

  it('lists every top-level key of the schema', () => {
    const text = renderConfigReference();
    for (const key of Object.keys(configSchema.shape)) expect(text, key).toMatch(new RegExp(`\`${key}[.\`]`));
  });

  it('shows the path, type, default and description of a nested key', () => {
    expect(renderConfigReference()).toContain(
      '| `oidc.key_refresh_seconds` | integer (≥ 1, ≤ 3600) | `30` | How often a replica re-reads signing and cookie keys',
    );
  });

  it('never restates in a description the default that its own column shows', () => {
    const rows = renderConfigReference()
      .split('\n')
      .filter((l) => /^\| `[^`]+` \|/.test(l));
    for (const row of rows) {
      const [, , def, description] = row.split(' | ');
      if (def && def !== '—' && def !== '**required**') expect(description, row).not.toMatch(/\bDefault\b/);
    }
    expect(rows.length).toBeGreaterThan(40);
  });

  it('marks a key without a default inside its section as required', () => {
    expect(renderConfigReference()).toMatch(/\| `legacy\.http\.url` \| string \| \*\*required\*\* \|/);
  });

  it('documents each variant of a discriminated union under its condition', () => {
    const text = renderConfigReference();
    expect(text).toMatch(
      /\| `target\.type` \| `none` \\\| `commerce-import` \\\| `scim` \\\| `webhook` \| `none` \|/,
    );
    expect(text).toMatch(/\| `target\.url` \| string \| \*\*required\*\* \| \(type `commerce-import`\)/);
    expect(text).toMatch(
      /\| `target\.secret` \| string \(at least 32 characters\) \| \*\*required\*\* \| \(type `webhook`\)/,
    );
  });

  it('renders any schema the same way twice, reading defaults through optional and prefault wrappers', () => {
    const schema = z
      .object({
        a: z.number().int().min(1).default(5).describe('An a.'),
        b: z
          .object({ c: z.enum(['x', 'y']).optional().describe('A c.') })
          .prefault({})
          .describe('A section.'),
      })
      .strict();
    const once = renderConfigReference(schema);
    expect(renderConfigReference(schema)).toBe(once);
    expect(once).toContain('| `a` | integer (≥ 1) | `5` | An a. |');
    expect(once).toContain('| `b.c` | `x` \\| `y` | — | A c. |');
    expect(once).toContain('A section.');
  });
});
