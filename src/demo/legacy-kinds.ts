// The legacy store kinds the demo can run (`oidc-bridge demo --legacy KIND`). Apart from
// legacy-store.ts so the command line reads them without loading the stores.
export const DEMO_LEGACY_KINDS = ['sql', 'http', 'ldap'] as const;
export type DemoLegacyKind = (typeof DEMO_LEGACY_KINDS)[number];
