// The one list of targets: `target.type` → the factory of its TargetFormat, and the test
// double that stands in for the platform in the tests and the demo. A new target is a
// folder under src/target/, its section in the config schema, and one line here.
import type { TargetConfig } from '../config/schema.ts';
import type { Logger } from '../logger.ts';
import type { SecretBox } from '../security/secret-box.ts';
import { createCommerceImportFormat } from './commerce-import/index.ts';
import { createNoneFormat } from './none/index.ts';
import type { ReferenceFactory } from './reference.ts';
import { createScimFormat } from './scim/index.ts';
import type { TargetFormat } from './types.ts';
import { createWebhookFormat } from './webhook/index.ts';

export interface TargetDeps {
  logger?: Logger | undefined;
  /** The key encryption key's box: a target that keeps a plain password may demand it. */
  box?: SecretBox | undefined;
}

type TargetType = TargetConfig['type'];

interface Entry<T extends TargetType> {
  create(config: Extract<TargetConfig, { type: T }>, deps: TargetDeps): TargetFormat;
  /** Loaded on demand: the doubles are for tests and the demo, not for a running bridge. */
  reference?: () => Promise<{ startReference: ReferenceFactory }>;
}

const TARGETS: { [T in TargetType]: Entry<T> } = {
  none: { create: () => createNoneFormat() },
  'commerce-import': {
    create: createCommerceImportFormat,
    reference: () => import('./commerce-import/double.ts'),
  },
  http: { create: createCommerceImportFormat },
  scim: { create: createScimFormat, reference: () => import('./scim/double.ts') },
  webhook: { create: createWebhookFormat, reference: () => import('./webhook/double.ts') },
};

export function createTargetFormat(config: TargetConfig, deps: TargetDeps = {}): TargetFormat {
  const entry = TARGETS[config.type] as Entry<TargetType>;
  return entry.create(config, deps);
}

/** The target types that have a test double, canonical names only (no aliases). */
export function referenceTypes(): string[] {
  return Object.entries(TARGETS)
    .filter(([, e]) => e.reference)
    .map(([type]) => type);
}

export async function referenceFor(type: string): Promise<ReferenceFactory> {
  const entry = (TARGETS as Record<string, Entry<TargetType>>)[type];
  if (!entry?.reference) throw new Error(`No reference target for target type "${type}".`);
  return (await entry.reference()).startReference;
}
