// fast-check arbitraries for the hostile-input tests: strings built from SQL metacharacters,
// NUL and control characters, lone surrogates, bidi and BOM marks, real login names, and now
// and then one huge value.
import fc from 'fast-check';

const SQL_AND_FRIENDS = [
  "'",
  '"',
  '`',
  ';',
  '--',
  '/*',
  '*/',
  '\\',
  '%',
  '_',
  "' OR '1'='1",
  "admin'--",
  "'; DROP TABLE users; --",
  '" OR ""="',
  "1' UNION SELECT username, password FROM users --",
  '$1',
  '?',
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  '\u0000',
  '\u0007',
  '\u007f',
  '\u0085',
  '\ufeff',
  '\u202e',
  '%00',
  '\r\n',
  'kate',
  'KATE ',
  'kate@example.com',
];

const unit = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom(...SQL_AND_FRIENDS),
  // a lone surrogate: not valid UTF-16, let alone UTF-8
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
);

export const hostileString = fc.oneof(
  { weight: 6, arbitrary: fc.array(unit, { maxLength: 16 }).map((a) => a.join('')) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('a', '€', "'", '\u0000', '𝄞'), fc.integer({ min: 300, max: 120_000 }))
      .map(([c, n]) => c.repeat(n)),
  },
);
