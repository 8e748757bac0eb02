// The ldap source tests' directory: the real OpenLDAP server the demo also starts
// (src/demo/slapd.ts), the `legacy` section of an ldap source on it, and Active Directory's
// attributes for a directory that stands in for AD (no real AD was available).
import type { DirectoryUser } from '../../src/demo/slapd.ts';

export {
  ADMIN_DN,
  ADMIN_PASSWORD,
  BASE_DN,
  type DirectoryUser,
  ldapLegacyConfig,
  PEOPLE_DN,
  SERVICE_DN,
  SERVICE_PASSWORD,
  type Slapd,
  startSlapd,
} from '../../src/demo/slapd.ts';

// In OpenLDAP's experimental arc: AD's own OIDs belong to Microsoft's schema.
export const AD_SCHEMA = `attributetype ( 1.3.6.1.4.1.4203.666.201.1 NAME 'sAMAccountName' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.4203.666.201.2 NAME 'userPrincipalName' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.4203.666.201.3 NAME 'userAccountControl' EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.4203.666.201.4 NAME 'objectGUID' EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.4203.666.201.100 NAME 'adUser' AUXILIARY MAY ( sAMAccountName $ userPrincipalName $ userAccountControl $ objectGUID ) )
`;

/** An Active Directory user; userAccountControl 512 NORMAL_ACCOUNT, 514 = 512 | ACCOUNTDISABLE, 66048 = 512 | DONT_EXPIRE_PASSWORD. */
export function adUser(sam: string, uac: number, guidByte: number, password: string): DirectoryUser {
  return {
    uid: sam,
    mail: `${sam}@corp.example`,
    givenName: sam[0]!.toUpperCase() + sam.slice(1),
    sn: 'Corp',
    password,
    objectClasses: ['adUser'],
    attributes: {
      sAMAccountName: sam,
      userPrincipalName: `${sam}@corp.example.local`,
      userAccountControl: String(uac),
      // A GUID holding bytes that are not text, and one that is a filter's special character.
      objectGUID: Buffer.from([guidByte, 0x00, 0x2a, 0x28, 0xff, ...Array(11).fill(guidByte)]),
    },
  };
}
