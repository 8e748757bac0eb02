// The ldap source tests' directory: the real OpenLDAP server the demo also starts
// (src/demo/slapd.ts), and the `legacy` section of an ldap source on it.
import { PEOPLE_DN, SERVICE_DN, SERVICE_PASSWORD, type Slapd } from '../../src/demo/slapd.ts';

export {
  ADMIN_DN,
  ADMIN_PASSWORD,
  BASE_DN,
  type DirectoryUser,
  PEOPLE_DN,
  SERVICE_DN,
  SERVICE_PASSWORD,
  type Slapd,
  startSlapd,
} from '../../src/demo/slapd.ts';

/** The `legacy` section of an ldap source on this directory, as the tests use it. */
export function ldapLegacyConfig(slapd: Slapd, ldap: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'ldap',
    ldap: {
      url: slapd.url,
      bind_dn: SERVICE_DN,
      bind_password: SERVICE_PASSWORD,
      base_dn: PEOPLE_DN,
      id_attribute: 'uid',
      disabled_filter: '(employeeType=disabled)',
      ...ldap,
    },
    claims: { email: 'mail', given_name: 'givenName', family_name: 'sn', preferred_username: 'uid' },
  };
}
