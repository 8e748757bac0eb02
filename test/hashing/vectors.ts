// Known-answer vectors for every legacy hash family, each with the public source it comes
// from. Vectors from "python3 crypt module (libxcrypt)", "python3 hashlib" or "openssl passwd"
// were generated on the development machine with those independent implementations, never
// with this project's code. hashcat's example hashes all use the password "hashcat".

export interface HashVector {
  family: string;
  /** The registry verifier id that must detect the stored string (undefined for expressions). */
  verifier?: string;
  password: string;
  stored: string;
  salt?: string;
  /** A scheme expression, when the stored hash carries no prefix. */
  scheme?: string;
  source: string;
}

// passlib's shared unicode test passwords (passlib/tests/test_handlers.py).
export const UPASS_TABLE = 't\u00e1\u0411\u2113\u0259';
export const UPASS_USD = '\u20AC\u00A5$';
export const UPASS_WAV = '\u0399\u03c9\u03b1\u03bd\u03bd\u03b7\u03c2';
export const UPASS_LETMEIN = 'l\u00e8tmein';

type Row = [password: string, stored: string, extra?: Partial<HashVector>];

function group(family: string, verifier: string | undefined, source: string, rows: Row[]): HashVector[] {
  return rows.map(([password, stored, extra]) => ({
    family,
    ...(verifier === undefined ? {} : { verifier }),
    password,
    stored,
    source,
    ...extra,
  }));
}

const PASSLIB = 'passlib/tests/test_handlers.py';
const PASSLIB_DJANGO = 'passlib/tests/test_handlers_django.py';
const PASSLIB_ARGON2 = 'passlib/tests/test_handlers_argon2.py';
const DJANGO = 'django/tests/auth_tests/test_hashers.py';
const ARGON2_REF = 'P-H-C/phc-winner-argon2 src/test.c (as lifted into passlib test_handlers_argon2.py)';
const DREPPER = 'Drepper, "Unix crypt using SHA-256 and SHA-512" (SHA-crypt.txt) test vectors';
const HASHCAT = 'hashcat example hashes (hashcat.net/wiki/example_hashes)';
const PHP_CRYPT = 'PHP manual, crypt() examples';
const LIBXCRYPT = 'python3 crypt module (libxcrypt) on the development machine';
const HASHLIB = 'python3 hashlib on the development machine';
const OPENSSL = 'openssl passwd (OpenSSL 3.0) on the development machine';

export const bcryptVectors: HashVector[] = [
  ...group('bcrypt', 'bcrypt', `${PASSLIB} (from John the Ripper 1.7.9)`, [
    ['U*U*U*U*', '$2a$05$c92SVSfjeiCD6F2nAD6y0uBpJDjdRkt0EgeC4/31Rf2LUZbDRDE.O'],
    ['U*U***U', '$2a$05$WY62Xk2TXZ7EvVDQ5fmjNu7b0GEzSzUXUh2cllxJwhtOeMtWV3Ujq'],
    ['U*U***U*', '$2a$05$Fa0iKV3E2SYVUlMknirWU.CFYGvJ67UwVKI1E2FP6XeLiZGcH3MJi'],
    ['*U*U*U*U', '$2a$05$.WRrXibc1zPgIdRXYfv.4uu6TD1KWf0VnHzq/0imhUhuxSxCyeBs2'],
    ['', '$2a$05$Otz9agnajgrAe0.kFVF9V.tzaStZ2s1s4ZWi/LY4sw2k/MTVFj/IO'],
  ]),
  ...group('bcrypt', 'bcrypt', `${PASSLIB} (from openwall crypt_blowfish 1.2 test vectors)`, [
    ['U*U', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'],
    ['U*U*', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK'],
    ['U*U*U', '$2a$05$XXXXXXXXXXXXXXXXXXXXXOAcXxm9kjPGEMsLznoKqmqw7tc8WCx4a'],
    ['', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy'],
    [
      '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789chars after 72 are ignored',
      '$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui',
    ],
  ]),
  ...group('bcrypt', 'bcrypt', `${PASSLIB} (from py-bcrypt tests)`, [
    ['', '$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.'],
    ['a', '$2a$10$k87L/MF28Q673VKh8/cPi.SUl7MU/rWuSiIDDFayrKk/1tBsSQu4u'],
    ['abc', '$2a$10$WvvTPHKwdBJ3uk0Z37EMR.hLA2W6N9AEBhEgrAOljy2Ae5MtaSIUi'],
    ['abcdefghijklmnopqrstuvwxyz', '$2a$10$fVH8e28OQRj9tqiDXs1e1uxpsjN0c7II7YPKXua2NAKYvM6iQk7dq'],
    ['~!@#$%^&*()      ~!@#$%^&*()PNBFRD', '$2a$10$LgfYWkbzEvQ4JakH7rOvHe0y8pHKF9OaFgwUZ2q7W2FFZmZzJYlfS'],
  ]),
  ...group('bcrypt', 'bcrypt', `${PASSLIB} known_correct_configs (unicode password)`, [
    [UPASS_TABLE, '$2a$10$Z17AXnnlpzddNUvnC6cZNOl54vBeVTewdrxohbPtcwl.GEZFTGjHe'],
  ]),
  ...group('bcrypt', 'bcrypt', 'PHP manual, password_verify() example', [
    ['rasmuslerdorf', '$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a'],
  ]),
  ...group('bcrypt', 'bcrypt', PHP_CRYPT, [
    ['rasmuslerdorf', '$2a$07$usesomesillystringfore2uDLvp1Ii2e./U9C8sBjqp8I90dH6hi'],
    ['rasmuslerdorf', '$2y$07$usesomesillystringfore2uDLvp1Ii2e./U9C8sBjqp8I90dH6hi'],
  ]),
  ...group('bcrypt', 'bcrypt', `${HASHCAT}, mode 3200`, [
    ['hashcat', '$2a$05$LhayLxezLhK1LhWvKxCyLOj0j1u.Kj0jZ0pEmm134uzrQlFvQJLF6'],
  ]),
  ...group('bcrypt', 'bcrypt', LIBXCRYPT, [
    // $2x$ with 8-bit bytes: crypt_blowfish's sign-extension bug, emulated by the verifier.
    ['\u00e4bc', '$2x$05$usesomesillystringforeA7HTTHMhgNcUzeASc6pTWcIdbuS7Zk2'],
    ['p\u00e4ssw\u00f6rd', '$2x$05$abcdefghijklmnopqrstuu7fBvhrteno3q3HcIu7ORNzGrSPOJXt6'],
    ['日本語パスワード', '$2x$06$0123456789ABCDEFGHIJK.bVqqUxiDNZqIcLW6.lhilwWe0yr4D3C'],
    ['plain ascii under $2x$', '$2x$05$XXXXXXXXXXXXXXXXXXXXXOSLIQVNfuWsNdZbf5ZJkF1yApFDCubb6'],
    [
      '\u00dcn\u00efc\u00f6d\u00e9 passw\u00f6rd',
      '$2b$05$CCCCCCCCCCCCCCCCCCCCC.L8frcot/YsZiKMTpq1Q3O4hnqSLTiVC',
    ],
  ]),
];

export const argon2Vectors: HashVector[] = [
  ...group('argon2', 'argon2', `${ARGON2_REF}, argon2i version 0x10 (no v= field)`, [
    ['password', '$argon2i$m=65536,t=2,p=1$c29tZXNhbHQ$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ'],
    ['password', '$argon2i$m=256,t=2,p=1$c29tZXNhbHQ$/U3YPXYsSb3q9XxHvc0MLxur+GP960kN9j7emXX8zwY'],
    ['password', '$argon2i$m=256,t=2,p=2$c29tZXNhbHQ$tsEVYKap1h6scGt5ovl9aLRGOqOth+AMB+KwHpDFZPs'],
    ['password', '$argon2i$m=65536,t=1,p=1$c29tZXNhbHQ$gWMFUrjzsfSM2xmSxMZ4ZD1JCytetP9sSzQ4tWIXJLI'],
    ['password', '$argon2i$m=65536,t=4,p=1$c29tZXNhbHQ$8hLwFhXm6110c03D70Ct4tUdBSRo2MaUQKOh8sHChHs'],
    ['differentpassword', '$argon2i$m=65536,t=2,p=1$c29tZXNhbHQ$6ckCB0tnVFMaOgvlGeW69ASzDOabPwGsO/ISKZYBCaM'],
    ['password', '$argon2i$m=65536,t=2,p=1$ZGlmZnNhbHQ$eaEDuQ/orvhXDLMfyLIiWXeJFvgza3vaw4kladTxxJc'],
  ]),
  ...group('argon2', 'argon2', `${ARGON2_REF}, argon2i version 0x13`, [
    ['password', '$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA'],
    ['password', '$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8'],
    ['password', '$argon2i$v=19$m=256,t=2,p=2$c29tZXNhbHQ$T/XOJ2mh1/TIpJHfCdQan76Q5esCFVoT5MAeIM1Oq2E'],
    ['password', '$argon2i$v=19$m=65536,t=1,p=1$c29tZXNhbHQ$0WgHXE2YXhPr6uVgz4uUw7XYoWxRkWtvSsLaOsEbvs8'],
    ['password', '$argon2i$v=19$m=65536,t=4,p=1$c29tZXNhbHQ$qqlT1YrzcGzj3xrv1KZKhOMdf1QXUjHxKFJZ+IF0zls'],
    [
      'differentpassword',
      '$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$FK6NoBr+qHAMI1jc73xTWNkCEoK9iGY6RWL1n7dNIu4',
    ],
    ['password', '$argon2i$v=19$m=65536,t=2,p=1$ZGlmZnNhbHQ$sDV8zPvvkfOGCw26RHsjSMvv7K2vmQq/6cxAcmxSEnE'],
  ]),
  ...group('argon2', 'argon2', `${ARGON2_REF}, argon2id version 0x13`, [
    ['password', '$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc'],
    ['password', '$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4'],
    ['password', '$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc'],
    ['password', '$argon2id$v=19$m=65536,t=1,p=1$c29tZXNhbHQ$9qWtwbpyPd3vm1rB1GThgPzZ3/ydHL92zKL+15XZypg'],
    ['password', '$argon2id$v=19$m=65536,t=4,p=1$c29tZXNhbHQ$kCXUjmjvc5XMqQedpMTsOv+zyJEf5PhtGiUghW9jFyw'],
    [
      'differentpassword',
      '$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$C4TWUs9rDEvq7w3+J4umqA32aWKB1+DSiRuBfYxFj94',
    ],
    ['password', '$argon2id$v=19$m=65536,t=2,p=1$ZGlmZnNhbHQ$vfMrBczELrFdWP0ZsfhWsRPaHppYdP3MVEMIVlqoFBw'],
  ]),
  ...group('argon2', 'argon2', PASSLIB_ARGON2, [
    ['password', '$argon2i$v=19$m=256,t=1,p=1$c29tZXNhbHQ$AJFIsNZTMKTAewB4+ETN1A'],
    ['password', '$argon2i$v=19$m=380,t=2,p=2$c29tZXNhbHQ$SrssP8n7m/12VWPM8dvNrw'],
    [UPASS_TABLE, '$argon2i$v=19$m=512,t=2,p=2$1sV0O4PWLtc12Ypv1f7oGw$z+yqzlKtrq3SaNfXDfIDnQ'],
    ['password\x00', '$argon2i$v=19$m=512,t=2,p=2$c29tZXNhbHQ$Fb5+nPuLzZvtqKRwqUEtUQ'],
    ['password', '$argon2d$v=19$m=102400,t=2,p=8$g2RodLh8j8WbSdCp+lUy/A$zzAJqL/HSjm809PYQu6qkA'],
  ]),
];

export const djangoVectors: HashVector[] = [
  ...group('django', 'django_pbkdf2', DJANGO, [
    ['l\u00e8tmein', 'pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c='],
    ['l\u00e8tmein', 'pbkdf2_sha256$390000$seasalt2$geC/uZ92nRXDSjSxeoiBqYyRcrLzMm8xK3ro1QS1uo8='],
    ['l\u00e8tmein', 'pbkdf2_sha1$390000$seasalt2$aDapRanzW8aHTz97v2TcfHzWD+I='],
  ]),
  ...group('django', 'salted_digest', DJANGO, [
    ['l\u00e8tmein', 'sha1$seasalt$cff36ea83f5706ce9aa7454e63e431fc726b2dc8'],
    ['l\u00e8tmein', 'md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3'],
    ['l\u00e8tmein', 'md5$$88a434c88cca4e900f7874cd98123f43'],
    ['l\u00e8tmein', 'sha1$$6d138ca3ae545631b3abd71a4f076ce759c5700b'],
    // The same unsalted SHA-1 under the algorithm name Django gives its hasher.
    ['l\u00e8tmein', 'unsalted_sha1$$6d138ca3ae545631b3abd71a4f076ce759c5700b'],
  ]),
  ...group('django', 'bare_digest', `${DJANGO} (unsalted_md5: a bare 32-digit hex md5)`, [
    ['l\u00e8tmein', '88a434c88cca4e900f7874cd98123f43'],
  ]),
  ...group('django', 'django_argon2', DJANGO, [
    [
      'secret',
      'argon2$argon2i$m=8,t=1,p=1$c29tZXNhbHQ$gwQOXSNhxiOxPOA0+PY10P9QFO4NAYysnqRt1GSQLE55m+2GYDt9FEjPMHhP2Cuf0nOEXXMocVrsJAtNSsKyfg',
    ],
    ['secret', 'argon2$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q'],
    ['secret', 'argon2$argon2id$v=19$m=102400,t=2,p=8$Y041dExhNkljRUUy$TMa6A8fPJhCAUXRhJXCXdw'],
  ]),
  ...group('django', 'salted_digest', PASSLIB_DJANGO, [
    ['password', 'md5$123abcdef$c8272612932975ee80e8a35995708e80'],
    ['test', 'md5$3OpqnFAHW5CT$54b29300675271049a1ebae07b395e20'],
    [UPASS_USD, 'md5$c2e86$92105508419a81a6babfaecf876a2fa0'],
    [UPASS_TABLE, 'md5$d9eb8$01495b32852bffb27cf5d4394fe7a54c'],
    ['password', 'sha1$123abcdef$e4a1877b0e35c47329e7ed7e58014276168a37ba'],
    ['test', 'sha1$bcwHF9Hy8lxS$6b4cfa0651b43161c6f1471ce9523acf1f751ba3'],
    [UPASS_USD, 'sha1$c2e86$0f75c5d7fbd100d587c127ef0b693cde611b4ada'],
    [UPASS_TABLE, 'sha1$6d853$ef13a4d8fb57aed0cb573fe9c82e28dc7fd372d4'],
    ['MyPassword', 'sha1$54123$893cf12e134c3c215f3a76bd50d13f92404a54d3'],
  ]),
  ...group('django', 'salted_digest', `${HASHCAT}, mode 124 (Django SHA-1)`, [
    ['hashcat', 'sha1$fe76b$02d5916550edf7fc8c886f044887f4b1abf9b013'],
  ]),
  ...group('django', 'django_pbkdf2', PASSLIB_DJANGO, [
    ['not a password', 'pbkdf2_sha256$10000$kjVJaVz6qsnJ$5yPHw3rwJGECpUf70daLGhOrQ5+AMxIJdz1c3bqK1Rs='],
    [UPASS_TABLE, 'pbkdf2_sha256$10000$bEwAfNrH1TlQ$OgYUblFNUX1B8GfMqaCYUK/iHyO0pa7STTDdaEJBuY0='],
    ['not a password', 'pbkdf2_sha1$10000$wz5B6WkasRoF$atJmJ1o+XfJxKq1+Nu1f1i57Z5I='],
    [UPASS_TABLE, 'pbkdf2_sha1$10000$KZKWwvqb8BfL$rw5pWsxJEU4JrZAQhHTCO+u0f5Y='],
  ]),
  ...group('django', 'django_pbkdf2', `${HASHCAT}, mode 10000 (Django PBKDF2-SHA256)`, [
    ['hashcat', 'pbkdf2_sha256$20000$H0dPx8NeajVu$GiC4k5kqbbR9qWBlsRgDywNqC2vd9kqfk7zdorEnNas='],
  ]),
  ...group('django', 'django_bcrypt', PASSLIB_DJANGO, [
    ['', 'bcrypt$$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.'],
    ['abcdefghijklmnopqrstuvwxyz', 'bcrypt$$2a$10$fVH8e28OQRj9tqiDXs1e1uxpsjN0c7II7YPKXua2NAKYvM6iQk7dq'],
    [UPASS_TABLE, 'bcrypt$$2a$05$Z17AXnnlpzddNUvnC6cZNOSwMA/8oNiKnHTHTwLlBijfucQQlHjaG'],
    ['', 'bcrypt_sha256$$2a$06$/3OeRpbOf8/l6nPPRdZPp.nRiyYqPobEZGdNRBWihQhiFDh1ws1tu'],
    [UPASS_LETMEIN, 'bcrypt_sha256$$2a$08$NDjSAIcas.EcoxCRiArvT.MkNiPYVhrsrnJsRkLueZOoV1bsQqlmC'],
    [UPASS_TABLE, 'bcrypt_sha256$$2a$06$kCXUnRFQptGg491siDKNTu8RxjBGSjALHRuvhPYNFsa4Ea5d9M48u'],
    // passlib's repeat_string("abc123", 72): 72 characters; the two longer ones differ only past 72.
    ['abc123'.repeat(12), 'bcrypt_sha256$$2a$06$Tg/oYyZTyAf.Nb3qSgN61OySmyXA8FoY4PjGizjE1QSDfuL5MXNni'],
    [
      `${'abc123'.repeat(12)}qwr`,
      'bcrypt_sha256$$2a$06$Tg/oYyZTyAf.Nb3qSgN61Ocy0BEz1RK6xslSNi8PlaLX2pe7x/KQG',
    ],
    [
      `${'abc123'.repeat(12)}xyz`,
      'bcrypt_sha256$$2a$06$Tg/oYyZTyAf.Nb3qSgN61OvY2zoRVUa2Pugv2ExVOUT2YmhvxUFUa',
    ],
  ]),
];

export const phpassVectors: HashVector[] = [
  ...group('phpass', 'phpass', `${PASSLIB} (official phpass 0.3 and John the Ripper 1.7.9)`, [
    ['test12345', '$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0'],
    ['test1', '$H$9aaaaaSXBjgypwqm.JsMssPLiS8YQ00'],
    ['123456', '$H$9PE8jEklgZhgLmZl5.HYJAzfGCQtzi1'],
    ['123456', '$H$9pdx7dbOW3Nnt32sikrjAxYFjX8XoK1'],
    ['thisisalongertestPW', '$P$912345678LIjjb6PhecupozNBmDndU0'],
    ['JohnRipper', '$P$612345678si5M0DDyPpmRCmcltU/YW/'],
    ['JohnRipper', '$H$712345678WhEyvy1YWzT4647jzeOmo0'],
    ['JohnRipper', '$P$B12345678L6Lpt4BxNotVIMILOa9u81'],
    ['', '$P$7JaFQsPzJSuenezefD/3jHgt5hVfNH0'],
    ['compL3X!', '$P$FiS0N5L672xzQx1rt1vgdJQRYKnQM9/'],
    [UPASS_TABLE, '$P$7SMy8VxnfsIy2Sxm7fJxDSdil.h7TW.'],
  ]),
  ...group('phpass', 'phpass', `${HASHCAT}, mode 400`, [['hashcat', '$P$984478476IagS59wHZvyQMArzfx58u.']]),
];

export const md5CryptVectors: HashVector[] = [
  ...group('md5_crypt', 'md5_crypt', `${PASSLIB} (John the Ripper 1.7.9 and passlib's own)`, [
    ['U*U*U*U*', '$1$dXc3I7Rw$ctlgjDdWJLMT.qwHsWhXR1'],
    ['U*U***U', '$1$dXc3I7Rw$94JPyQc/eAgQ3MFMCoMF.0'],
    ['U*U***U*', '$1$dXc3I7Rw$is1mVIAEtAhIzSdfn5JOO0'],
    ['*U*U*U*U', '$1$eQT9Hwbt$XtuElNJD.eW5MN5UCWyTQ0'],
    ['', '$1$Eu.GHtia$CFkL/nE1BYTlEPiVx1VWX0'],
    ['', '$1$dOHYPKoP$tnxS1T8Q6VVn3kpV8cN6o.'],
    [' ', '$1$m/5ee7ol$bZn0kIBFipq39e.KDXX8I0'],
    ['test', '$1$ec6XvcoW$ghEtNK2U1MC5l.Dwgi3020'],
    ['Compl3X AlphaNu3meric', '$1$nX1e7EeI$ljQn72ZUgt6Wxd9hfvHdV0'],
    ['4lpHa N|_|M3r1K W/ Cur5Es: #$%(*)(*%#', '$1$jQS7o98J$V6iTcr71CGgwW2laf17pi1'],
    ['test', '$1$SuMrG47N$ymvzYjr7QcEQjaK5m1PGx1'],
    ['s', '$1$ssssssss$YgmLTApYTv12qgTwBoj8i/'],
    [UPASS_TABLE, '$1$d6/Ky1lU$/xpf8m7ftmWLF.TjHCqel0'],
  ]),
  ...group('md5_crypt', 'md5_crypt', PHP_CRYPT, [['rasmuslerdorf', '$1$rasmusle$rISCgZzpwk3UhDidwXvin0']]),
  ...group('md5_crypt', 'md5_crypt', `${HASHCAT}, mode 500`, [
    ['hashcat', '$1$28772684$iEwNOgGugqO9.bIz5sk8k/'],
  ]),
  ...group('md5_crypt', 'md5_crypt', `${PASSLIB} apr_md5_crypt (Apache httpd password_encryptions docs)`, [
    ['myPassword', '$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/'],
    [UPASS_TABLE, '$apr1$bzYrOHUx$a1FcpXuQDJV3vPY20CS6N1'],
  ]),
  ...group('md5_crypt', 'md5_crypt', OPENSSL, [
    ['p\u00e4ssw\u00f6rd', '$1$saltsalt$VReRfkQ8Hs1aayf/oxMkG/'],
    ['P@ssw0rd', '$apr1$apache12$6kTGpbkPorUcMNoOkTPSU1'],
  ]),
];

export const shaCryptVectors: HashVector[] = [
  ...group('sha_crypt', 'sha_crypt', DREPPER, [
    ['Hello world!', '$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5'],
    ['Hello world!', '$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA'],
    ['This is just a test', '$5$rounds=5000$toolongsaltstrin$Un/5jzAHMgOGZ5.mWJpuVolil07guHPvOW8mGRcvxa5'],
    [
      'a very much longer text to encrypt.  This one even stretches over morethan one line.',
      '$5$rounds=1400$anotherlongsalts$Rx.j8H.h8HjEDGomFU8bDkXm3XIUnzyxf12oP84Bnq1',
    ],
    [
      'we have a short salt string but not a short password',
      '$5$rounds=77777$short$JiO1O3ZpDAxGJeaDIuqCoEFysAe1mZNJRs3pw0KQRd/',
    ],
    ['a short string', '$5$rounds=123456$asaltof16chars..$gP3VQ/6X7UUEW3HkBn2w1/Ptq2jxPyzV/cZKmF/wJvD'],
    [
      'the minimum number is still observed',
      '$5$rounds=1000$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC',
    ],
    [
      'Hello world!',
      '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1',
    ],
    [
      'Hello world!',
      '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.',
    ],
    [
      'This is just a test',
      '$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0',
    ],
    [
      'a very much longer text to encrypt.  This one even stretches over morethan one line.',
      '$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1',
    ],
    [
      'we have a short salt string but not a short password',
      '$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0',
    ],
    [
      'a short string',
      '$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xXgMNrCzIMVcgEJAstJeonj1',
    ],
    [
      'the minimum number is still observed',
      '$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.',
    ],
  ]),
  ...group('sha_crypt', 'sha_crypt', `${PASSLIB} (John the Ripper 1.7.9 and passlib's own)`, [
    ['U*U*U*U*', '$5$LKO/Ute40T3FNF95$U0prpBQd4PloSGU0pnpM4z9wKn4vZ1.jsrzQfPqxph9'],
    ['U*U***U', '$5$LKO/Ute40T3FNF95$fdgfoJEBoMajNxCv3Ru9LyQ0xZgv0OBMQoq80LQ/Qd.'],
    ['U*U***U*', '$5$LKO/Ute40T3FNF95$8Ry82xGnnPI/6HtFYnvPBTYgOL23sdMXn8C29aO.x/A'],
    ['*U*U*U*U', '$5$9mx1HkCz7G1xho50$O7V7YgleJKLUhcfk9pgzdh3RapEaWqMtEp9UUBAKIPA'],
    ['', '$5$kc7lRD1fpYg0g.IP$d7CMTcEqJyTXyeq8hTdu/jB/I6DGkoo62NXbHIR7S43'],
    ['test', '$5$rounds=11858$WH1ABM5sKhxbkgCK$aTQsjPkz0rBsH3lQlJxw9HDTDXPKBxC0LlVeV69P.t1'],
    ['with unic\u00D6de', '$5$rounds=1000$IbG0EuGQXw5EkMdP$LQ5AfPf13KufFsKtmazqnzSGZ4pxtUNw3woQ.ELRDF4'],
    [
      'U*U*U*U*',
      '$6$LKO/Ute40T3FNF95$6S/6T2YuOIHY0N3XpLKABJ3soYcXD9mB7uVbtEZDj/LNscVhZoZ9DEH.sBciDrMsHOWOoASbNLTypH/5X26gN0',
    ],
    [
      '',
      '$6$ojWH1AiTee9x1peC$QVEnTvRVlPRhcLQCk/HnHaZmlGAAjCfrAN0FtOsOnUk5K5Bn/9eLHHiRzrTzaIKjW9NTLNIBUCtNVOowWS2mN.',
    ],
    [
      'test',
      '$6$rounds=11531$G/gkPn17kHYo0gTF$Kq.uZBHlSBXyzsOJXtxJruOOH4yc0Is13uY7yK0PvAvXxbvc1w8DO1RzREMhKsc82K/Jh8OquV8FZUlreYPJk1',
    ],
    [
      UPASS_TABLE,
      '$6$rounds=40000$PEZTJDiyzV28M3.m$GTlnzfzGB44DGd1XqlmC4erAJKCP.rhvLvrYxiT38htrNzVGBnplFOHjejUGVrCfusGWxLQCc3pFO0A/1jYYr0',
    ],
  ]),
  ...group('sha_crypt', 'sha_crypt', PHP_CRYPT, [
    ['rasmuslerdorf', '$5$rounds=5000$usesomesillystri$KqJWpanXZHKq2BOB43TSaYhEWsQ1Lr5QNyPCDH/Tp.6'],
    [
      'rasmuslerdorf',
      '$6$rounds=5000$usesomesillystri$D4IrlXatmP7rx3P3InaxBeoomnAihCKRVQP22JZ6EY47Wc6BkroIuUUBOov1i.S5KPgErtP/EN5mcO.ChWQW21',
    ],
  ]),
  ...group('sha_crypt', 'sha_crypt', `${HASHCAT}, modes 7400 and 1800`, [
    ['hashcat', '$5$rounds=5000$GX7BopJZJxPc/KEK$le16UF8I2Anb.rOrn22AUPWvzUETDGefUmAV8AZkGcD'],
    [
      'hashcat',
      '$6$52450745$k5ka2p8bFuSmoVT1tzOyyuaREkkKBcCNqoDKzYiJL9RaE8yMnPgh2XzzF0NDrUhgrcLwg78xs1w5pJiypEdFX/',
    ],
  ]),
  ...group('sha_crypt', 'sha_crypt', OPENSSL, [
    ['p\u00e4ssw\u00f6rd', '$5$saltstringsalt$B2ES1vmH4eviegXFDYXc.u3XuAIPuQbezMPrYrVgYR/'],
    [
      'correct horse battery staple',
      '$6$abc$ahFduufWqlLbksqxwzfC1qYzLSyha4pPG7EaqNTDSjXfU3ImPI0.07rEaTSUoZ7JvkhHFizh1dRAMa6N6LUvq/',
    ],
  ]),
];

export const ldapVectors: HashVector[] = [
  ...group('ldap', 'ldap', PASSLIB, [
    ['helloworld', '{MD5}/F4DjTilcDIIVEHn/nAQsA=='],
    [UPASS_TABLE, '{MD5}BUc/ihn2aBXnN7MyZKDQsA=='],
    ['helloworld', '{SHA}at+xg6SiyUovktq1redipHiJpaE='],
    [UPASS_TABLE, '{SHA}4FmyYo46Pi3glWed6YIsHRRm4PA='],
    ['testing1234', '{SMD5}UjFY34os/pnZQ3oQOzjqGu4yeXE='],
    [UPASS_TABLE, '{SMD5}Z0ioJ58LlzUeRxm3K6JPGAvBGIM='],
    ['testing123', '{SSHA}0c0blFTXXNuAMHECS4uxrj3ZieMoWImr'],
    ['secret', '{SSHA}0H+zTv8o4MR4H43n03eCsvw1luG8LdB7'],
    [UPASS_TABLE, '{SSHA}3yCSD1nLZXznra4N8XzZgAL+s1sQYsx5'],
    // passlib's roundup tests: the hex-encoded variants some directories store.
    ['sekrit', '{SHA}8d42e738c7adee551324955458b5e2c0b49ee655'],
    ['sekrit', '{MD5}ccbc53f4464604e714f69dd11138d8b5'],
  ]),
  ...group('ldap', 'ldap', `${HASHCAT}, modes 101, 111 and 1411`, [
    ['hashcat', '{SHA}uJ6qx+YUFzQbcQtyd2gpTQ5qJ3s='],
    ['hashcat', '{SSHA}AZKja92fbuuB9SpRlHqaoXxbTc43Mzc2MDM1Ng=='],
    ['hashcat', '{SSHA256}OZiz0cnQ5hgyel3Emh7NCbhBRCQ+HVBwYplQunHYnER7TLuV'],
  ]),
  ...group('ldap', 'ldap', 'npm package password-hasher, README example', [
    [
      'alice',
      '{ssha512}IeqKiXWSEWNHT3TkNJ62sxhbla2mGa5tg8FtroNuucB8MzMb99uPidYJoB9ieNblvnxRahdIy+h7TPwSXh4snoPYg4ZGPwYl',
    ],
  ]),
  ...group('ldap', 'ldap', HASHLIB, [
    ['hashcat', '{SSHA256}7uaLMCvXDtZqv12+XZ9Bwan02jiAMtu+9QuOeTJMJeoBAgMEBQYHCA=='],
    [
      'hashcat',
      '{SSHA512}jqsAzTa212+ywRQQ0lajwR7VxGlY2LbitqKm0bGj+n/M+K4yDWAqzaLZu5cs1WzOmieglDBvruDK98jpX7Ar8AECAwQFBgcI',
    ],
    ['hashcat', '{SMD5}+oETnv2kPrj7LYKon2rOqgECAwQFBgcI'],
    ['p\u00e4ssw\u00f6rd', '{SSHA256}uLH7nJBoLEP4qrQ1Diy6xyxzqeOA/Zap8IeqYbbqcNtzYWx0c2FsdA=='],
    [
      'p\u00e4ssw\u00f6rd',
      '{SSHA512}Et7L5C46xLW47tEx1wkQ0V9q90jW7Ixrnzsp1AcnLS6Y4m4klaN0r/zzLPbVeSAF3tffcr3Opv+E2/pw6aIYN3NhbHRzYWx0',
    ],
  ]),
  ...group('ldap', 'ldap_wrapped', `${PASSLIB} ldap_md5_crypt`, [
    ['', '{CRYPT}$1$dOHYPKoP$tnxS1T8Q6VVn3kpV8cN6o.'],
    ['test', '{CRYPT}$1$ec6XvcoW$ghEtNK2U1MC5l.Dwgi3020'],
    [UPASS_TABLE, '{CRYPT}$1$d6/Ky1lU$/xpf8m7ftmWLF.TjHCqel0'],
  ]),
];

export const mysqlVectors: HashVector[] = [
  ...group('mysql41', 'mysql41', `${PASSLIB} mysql41 (John the Ripper 1.7.9 and passlib's own)`, [
    ['verysecretpassword', '*2C905879F74F28F8570989947D06A8429FB943E6'],
    ['12345678123456781234567812345678', '*F9F1470004E888963FB466A5452C9CBD9DF6239C'],
    ["' OR 1 /*'", '*97CF7A3ACBE0CA58D5391AC8377B5D9AC11D46D9'],
    [UPASS_TABLE, '*E7AFE21A9CFA2FC9D15D942AE8FB5C240FE5837B'],
  ]),
  ...group('mysql41', 'mysql41', 'MySQL 5.7 Reference Manual, PASSWORD() function example', [
    ['mypass', '*6C8989366EAF75BB670AD8EA7A7FC1176A95CEF4'],
  ]),
  ...group('mysql41', 'mysql41', `${HASHCAT}, mode 300 (with the * MySQL stores)`, [
    ['hashcat', '*FCF7C1B8749CF99D88E5F34271D636178FB5D130'],
  ]),
];

export const pbkdf2Vectors: HashVector[] = [
  ...group('pbkdf2', 'pbkdf2', PASSLIB, [
    ['password', '$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ'],
    [UPASS_WAV, '$pbkdf2-sha256$1212$3SABFJGDtyhrQMVt1uABPw$WyaUoqCLgvz97s523nF4iuOqZNbp5Nt8do/cuaa7AiI'],
    ['password', '$pbkdf2$1212$OB.dtnSEXZK8U5cgxU/GYQ$y5LKPOplRmok7CZp/aqVDVg8zGI'],
    [UPASS_WAV, '$pbkdf2$1212$THDqatpidANpadlLeTeOEg$HV3oi1k5C5LQCgG1BMOL.BX4YZc'],
    [
      'password',
      '$pbkdf2-sha512$1212$RHY0Fr3IDMSVO/RSZyb5ow$eNLfBK.eVozomMr.1gYa17k9B7KIK25NOEshvhrSX.esqY3s.FvWZViXz4KoLlQI.BzY/YTNJOiKc5gBYFYGww',
    ],
    [
      UPASS_WAV,
      '$pbkdf2-sha512$1212$KkbvoKGsAIcF8IslDR6skQ$8be/PRmd88Ps8fmPowCJttH9G3vgxpG.Krjt3KT.NP6cKJ0V4Prarqf.HBwz0dCkJ6xgWnSj2ynXSV7MlvMa8Q',
    ],
  ]),
  // RFC 6070 PBKDF2-HMAC-SHA1 test vectors, written in PHC form (salt and key in unpadded base64).
  ...group('pbkdf2', 'pbkdf2', 'RFC 6070, PBKDF2-HMAC-SHA1 test vectors (in PHC form)', [
    ['password', '$pbkdf2$i=1,l=20$c2FsdA$DGDID5YfDnHzqbUkr2ASBi/gN6Y'],
    ['password', '$pbkdf2$i=2,l=20$c2FsdA$6mwBTcctb4zNHtkqzh1B8NjeiVc'],
    ['password', '$pbkdf2$i=4096,l=20$c2FsdA$SwB5AbdlSJq+rUnZJvch0GWkKcE'],
    [
      'passwordPASSWORDpassword',
      '$pbkdf2$i=4096,l=25$c2FsdFNBTFRzYWx0U0FMVHNhbHRTQUxUc2FsdFNBTFRzYWx0$PS7sT+QchJuAyNg2YsDkSospGpZM8vBwOA',
    ],
    ['pass\x00word', '$pbkdf2$i=4096,l=16$c2EAbHQ$Vvpqp1VICZ3MN9fwNCXgww'],
  ]),
];

export const targetFormVectors: HashVector[] = group('target_form', 'salted_digest', HASHLIB, [
  ['hashcat', 'sha256$s4lt$505d2d6bc4c2dc6079869715bd3f29b9d009b200d378facc0dee2505eab5e534'],
  ['p\u00e4ssw\u00f6rd', 'sha256$x$y$6db9925a4920b24efdddcf636aba9efd5480f992bea204d914a9162543c94eaf'],
  ['secret', 'sha256$$2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b'],
]);

export const bareDigestVectors: HashVector[] = [
  ...group('bare_digest', 'bare_digest', `${PASSLIB} hex_md5, hex_sha1, hex_sha256, hex_sha512`, [
    ['password', '5f4dcc3b5aa765d61d8327deb882cf99'],
    [UPASS_TABLE, '05473f8a19f66815e737b33264a0d0b0'],
    ['password', '5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8'],
    [UPASS_TABLE, 'e059b2628e3a3e2de095679de9822c1d1466e0f0'],
    ['password', '5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8'],
    [UPASS_TABLE, '6ed729e19bf24d3d20f564375820819932029df05547116cfc2cc868a27b4493'],
    [
      'password',
      'b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86',
    ],
    [
      UPASS_TABLE,
      'd91bb0a23d66dca07a1781fd63ae6a05f6919ee5fc368049f350c9f293b078a18165d66097cf0d89fdfbeed1ad6e7dba2344e57348cd6d51308c843a06f29caf',
    ],
    // The same md5 in upper-case hex, as some PHP applications store strtoupper(md5(...)).
    ['password', '5F4DCC3B5AA765D61D8327DEB882CF99'],
  ]),
  ...group('bare_digest', 'bare_digest', `${HASHCAT}, modes 0, 100, 1400 and 1700`, [
    ['hashcat', '8743b52063cd84097a65d1633f5c74f5'],
    ['hashcat', 'b89eaac7e61417341b710b727768294d0e6a277b'],
    ['hashcat', '127e6fbfe24a750e72930c220a8e138275656b8e5d8f48a98c3c92df2caba935'],
    [
      'hashcat',
      '82a9dda829eb7f8ffe9fbe49e45d47d2dad9664fbb7adf72492e3c81ebd3e29134d9bc12212bf83c6840f10e8246b9db54a4859b7ccd0123d86e5872c1e5082f',
    ],
  ]),
  // passlib's {MD5} and {SHA} vectors without their prefix: a bare digest in base64.
  ...group('bare_digest', 'bare_digest', `${PASSLIB} ldap_md5 / ldap_sha1 data without the prefix`, [
    ['helloworld', '/F4DjTilcDIIVEHn/nAQsA=='],
    ['helloworld', 'at+xg6SiyUovktq1redipHiJpaE='],
  ]),
  // hashcat's salted modes, stored apart from their salt; auto-detection tries both positions.
  ...group('bare_digest', 'bare_digest', `${HASHCAT}, modes 10, 20, 110, 120, 1410, 1420, 1710, 1720`, [
    ['hashcat', '01dfae6e5d4d90d9892622325959afbe', { salt: '7050461' }],
    ['hashcat', 'f0fda58630310a6dd91a7d8f0a4ceda2', { salt: '4225637426' }],
    ['hashcat', '2fc5a684737ce1bf7b3b239df432416e0dd07357', { salt: '2014' }],
    ['hashcat', 'cac35ec206d868b7d7cb0b55f31d9425b075082b', { salt: '5363620024' }],
    ['hashcat', 'c73d08de890479518ed60cf670d17faa26a4a71f995c1dcc978165399401a6c4', { salt: '53743528' }],
    ['hashcat', 'eb368a2dfd38b405f014118c7d9747fcc97f4f0ee75c05963cd9da6ee65ef498', { salt: '560407001617' }],
    [
      'hashcat',
      'e5c3ede3e49fb86592fb03f471c35ba13e8d89b8ab65142c9a8fdafb635fa2223c24e5558fd9313e8995019dcbec1fb584146b7bb12685c7765fc8c0d51379fd',
      { salt: '6352283260' },
    ],
    [
      'hashcat',
      '976b451818634a1e2acba682da3fd6efa72adf8a7a08d7939550c244b237c72c7d42367544e826c0c83fe5c02f97c0373b6b1386cc794bf0d21d2df01bb9c08a',
      { salt: '2613516180127' },
    ],
  ]),
];

export const expressionVectors: HashVector[] = group('expression', undefined, HASHCAT, [
  ['hashcat', '01dfae6e5d4d90d9892622325959afbe', { salt: '7050461', scheme: 'md5(password + salt)' }],
  ['hashcat', 'f0fda58630310a6dd91a7d8f0a4ceda2', { salt: '4225637426', scheme: 'md5(salt + password)' }],
  ['hashcat', '2fc5a684737ce1bf7b3b239df432416e0dd07357', { salt: '2014', scheme: 'sha1(password + salt)' }],
  [
    'hashcat',
    'cac35ec206d868b7d7cb0b55f31d9425b075082b',
    { salt: '5363620024', scheme: 'sha1(salt + password)' },
  ],
  [
    'hashcat',
    'c73d08de890479518ed60cf670d17faa26a4a71f995c1dcc978165399401a6c4',
    { salt: '53743528', scheme: 'sha256(password + salt)' },
  ],
  [
    'hashcat',
    'eb368a2dfd38b405f014118c7d9747fcc97f4f0ee75c05963cd9da6ee65ef498',
    { salt: '560407001617', scheme: 'sha256(salt + password)' },
  ],
  ['hashcat', 'a936af92b0ae20b1ff6c3347a72e5fbe', { scheme: 'md5(md5(password))' }],
  ['hashcat', '16780ba78d2d5f02f3202901c1b6d975', { salt: '568', scheme: 'md5(md5(password) + salt)' }],
  [
    'hashcat',
    'bf366348c53ddcfbd16e63edfdd1eee6',
    { salt: '181264250056774603641874043270', scheme: 'md5(md5(password) + salt)' },
  ],
  [
    'hashcat',
    '8d2129083ef35f4b365d5d87487e1207',
    { salt: '47204', scheme: 'md5(md5(salt) + md5(password))' },
  ],
  ['hashcat', '95248989ec91f6d0439dbde2bd0140be', { salt: '1234', scheme: 'md5(salt + md5(password))' }],
  ['hashcat', '250920b3a5e31318806a032a4674df7e', { salt: '1234', scheme: 'md5(md5(password) + md5(salt))' }],
  ['hashcat', '288496df99b33f8f75a7ce4837d1b480', { scheme: 'md5(sha1(password))' }],
  ['hashcat', '3db9184f5da4e463832b086211af8d2314919951', { scheme: 'sha1(sha1(password))' }],
  ['hashcat', '92d85978d884eb1d99a51652b1139c8279fa8663', { scheme: 'sha1(md5(password))' }],
  // Upper-case hex and base64 of the same digests: the stored encoding does not matter.
  [
    'hashcat',
    'CAC35EC206D868B7D7CB0B55F31D9425B075082B',
    { salt: '5363620024', scheme: 'sha1(salt + password)' },
  ],
  ['hashcat', 'ysNewgbYaLfXywtV8x2UJbB1CCs=', { salt: '5363620024', scheme: 'sha1(salt + password)' }],
]);

export const allVectors: HashVector[] = [
  ...bcryptVectors,
  ...argon2Vectors,
  ...djangoVectors,
  ...phpassVectors,
  ...md5CryptVectors,
  ...shaCryptVectors,
  ...ldapVectors,
  ...mysqlVectors,
  ...pbkdf2Vectors,
  ...targetFormVectors,
  ...bareDigestVectors,
  ...expressionVectors,
];
