#!/usr/bin/python3
# Known-answer vectors made by implementations that are not oidc-bridge: Debian's
# python3-passlib and Python's hashlib, plus short generators for formats applications
# compose themselves, each following the application's published source (named in "source").
# Run: /usr/bin/python3 test/hashing/generators/python-vectors.py > test/hashing/vectors/python.json
import base64, hashlib, hmac, json, os, struct, subprocess
import passlib
from passlib import hash as ph

TOOL = f"python3 passlib {passlib.__version__} / hashlib (Debian)"
rows = []

def add(family, verifier, password, stored, source, wrong=None, **extra):
    rows.append({"family": family, "verifier": verifier, "password": password, "stored": stored,
                 "wrong": wrong if wrong is not None else "X" + password[1:] if password else "x",
                 "source": source, "tool": TOOL, **extra})

PW = ["correct horse battery", "p\u00e4ssw\u00f6rd-\u65e5\u672c", "Tr0ub4dor&3"]

def b64(b): return base64.b64encode(b).decode()

for pw in PW:
    # passlib handlers for the crypt family and friends
    add("des_crypt", "des_crypt", pw, ph.des_crypt.hash(pw), "passlib des_crypt")
    add("des_crypt", "des_crypt", pw, ph.bsdi_crypt.using(rounds=5001).hash(pw), "passlib bsdi_crypt")
    add("sha1_crypt", "sha1_crypt", pw, ph.sha1_crypt.using(rounds=4801).hash(pw), "passlib sha1_crypt")
    add("sun_md5", "sun_md5", pw, ph.sun_md5_crypt.using(rounds=5000).hash(pw), "passlib sun_md5_crypt")
    add("nt_hash", "nt_hash", pw, "$3$$" + ph.nthash.hash(pw), "passlib nthash, in FreeBSD's $3$$ form")
    add("nt_hash", "bare_digest", pw, ph.nthash.hash(pw), "passlib nthash (bare 32 hex)")
    add("passlib", "passlib_bcrypt_sha256", pw, ph.bcrypt_sha256.using(rounds=5).hash(pw), "passlib bcrypt_sha256 v2")
    add("passlib", "passlib_bcrypt_sha256", pw, ph.bcrypt_sha256.using(rounds=5, version=1).hash(pw), "passlib bcrypt_sha256 v1")
    add("passlib", "passlib_scrypt", pw, ph.scrypt.using(rounds=10).hash(pw), "passlib scrypt")
    add("atlassian", "atlassian", pw, ph.atlassian_pbkdf2_sha1.hash(pw), "passlib atlassian_pbkdf2_sha1")
    add("ldap", "ldap_pbkdf2", pw, ph.ldap_pbkdf2_sha256.using(rounds=1000).hash(pw), "passlib ldap_pbkdf2_sha256")
    add("ldap", "ldap_pbkdf2", pw, ph.ldap_pbkdf2_sha512.using(rounds=1000).hash(pw), "passlib ldap_pbkdf2_sha512")
    add("ldap", "ldap_wrapped", pw, "{CRYPT}" + ph.sha512_crypt.using(rounds=5000).hash(pw), "passlib sha512_crypt under LDAP {CRYPT}")
    add("dovecot", "ldap_wrapped", pw, "{SHA512-CRYPT}" + ph.sha512_crypt.using(rounds=5000).hash(pw), "Dovecot {SHA512-CRYPT} of passlib sha512_crypt")
    add("dovecot", "ldap_wrapped", pw, "{BLF-CRYPT}" + ph.bcrypt.using(rounds=5).hash(pw), "Dovecot {BLF-CRYPT} of passlib bcrypt")
    add("database", "mssql", pw, "0x" + ph.mssql2005.hash(pw)[2:].upper(), "passlib mssql2005")
    add("database", "oracle11", pw, ph.oracle11.hash(pw), "passlib oracle11")
    add("database", "postgres_md5", pw, ph.postgres_md5.hash(pw, user="alice"), "passlib postgres_md5", salt="alice")
    add("database", "mysql323", pw, ph.mysql323.hash(pw), "passlib mysql323", scheme="mysql323")

    # Django ScryptPasswordHasher (django/contrib/auth/hashers.py): scrypt$N$salt$r$p$b64(dklen 64)
    salt = base64.b64encode(os.urandom(12)).decode().rstrip("=").replace("+", "a").replace("/", "b")
    dk = hashlib.scrypt(pw.encode(), salt=salt.encode(), n=2**14, r=8, p=1, maxmem=64 * 1024 * 1024, dklen=64)
    add("django", "django_scrypt", pw, f"scrypt$16384${salt}$8$1${b64(dk)}", "django/contrib/auth/hashers.py ScryptPasswordHasher (hashlib.scrypt)")
    add("django", "django_crypt", pw, ph.django_des_crypt.hash(pw), "passlib django_des_crypt (Django CryptPasswordHasher)")

    # Werkzeug security.py: pbkdf2:sha256:N$salt$hex and scrypt:N:r:p$salt$hex (dklen 64)
    s16 = "Zq3x9LmP0aB7cD2e"
    dk = hashlib.pbkdf2_hmac("sha256", pw.encode(), s16.encode(), 60000)
    add("werkzeug", "werkzeug", pw, f"pbkdf2:sha256:60000${s16}${dk.hex()}", "werkzeug/security.py _hash_internal pbkdf2 (hashlib.pbkdf2_hmac)")
    dk = hashlib.scrypt(pw.encode(), salt=s16.encode(), n=2**15, r=8, p=1, maxmem=132 * 2**15 * 8, dklen=64)
    add("werkzeug", "werkzeug", pw, f"scrypt:32768:8:1${s16}${dk.hex()}", "werkzeug/security.py _hash_internal scrypt (hashlib.scrypt)")
    mac = hmac.new(s16.encode(), pw.encode(), "sha1").hexdigest()
    add("werkzeug", "werkzeug-legacy", pw, f"sha1${s16}${mac}", "Werkzeug 0.8 security.py _hash_internal (hmac)", scheme="werkzeug-legacy")

    # ASP.NET Core Identity PasswordHasher.cs: v2 and v3
    salt = os.urandom(16)
    sub = hashlib.pbkdf2_hmac("sha1", pw.encode(), salt, 1000, 32)
    add("aspnet", "aspnet_identity", pw, b64(b"\x00" + salt + sub), "src/Identity/Extensions.Core/src/PasswordHasher.cs v2 (hashlib.pbkdf2_hmac)")
    for prf, name, it in [(1, "sha256", 10000), (2, "sha512", 100000)]:
        sub = hashlib.pbkdf2_hmac(name, pw.encode(), salt, it, 32)
        add("aspnet", "aspnet_identity", pw, b64(b"\x01" + struct.pack(">III", prf, it, 16) + salt + sub), f"PasswordHasher.cs v3 {name} (hashlib.pbkdf2_hmac)")
    # ASP.NET Membership (SqlMembershipProvider EncodePassword): sha1(salt bytes + utf16le)
    msalt = b64(os.urandom(16))
    add("aspnet", "aspnet-membership", pw, b64(hashlib.sha1(base64.b64decode(msalt) + pw.encode("utf-16-le")).digest()),
        "System.Web.Security.SqlMembershipProvider.EncodePassword (hashlib)", salt=msalt, scheme="aspnet-membership")

    # Symfony MessageDigestPasswordEncoder (sha512, 5000 iterations, base64)
    ssalt = "s0m3salt"
    salted = (pw + "{" + ssalt + "}").encode()
    d = hashlib.sha512(salted).digest()
    for _ in range(1, 5000): d = hashlib.sha512(d + salted).digest()
    add("symfony", "symfony-message-digest", pw, b64(d), "symfony/security-core Encoder/MessageDigestPasswordEncoder.php (hashlib)", salt=ssalt, scheme="symfony-message-digest")

    # Keycloak exported credential (Pbkdf2Sha256PasswordHashProviderFactory: 27500, 64-byte key)
    salt = os.urandom(16)
    value = hashlib.pbkdf2_hmac("sha256", pw.encode(), salt, 27500, 64)
    cred = {"type": "password", "secretData": json.dumps({"value": b64(value), "salt": b64(salt), "additionalParameters": {}}),
            "credentialData": json.dumps({"hashIterations": 27500, "algorithm": "pbkdf2-sha256", "additionalParameters": {}})}
    add("keycloak", "keycloak", pw, json.dumps(cred), "keycloak Pbkdf2Sha256PasswordHashProviderFactory, realm-export credential (hashlib)")

    # MediaWiki Pbkdf2Password and MWSaltedPassword
    salt = os.urandom(16)
    h = hashlib.pbkdf2_hmac("sha512", pw.encode(), salt, 30000, 64)
    add("mediawiki", "mediawiki", pw, f":pbkdf2:sha512:30000:64:{b64(salt)}:{b64(h)}", "mediawiki includes/password/Pbkdf2PasswordUsingHashExtension.php (hashlib)")
    add("mediawiki", "mediawiki", pw, f":B:8a3f:{hashlib.md5(('8a3f-' + hashlib.md5(pw.encode()).hexdigest()).encode()).hexdigest()}", "mediawiki includes/password/MWSaltedPassword.php (hashlib)")
    add("mediawiki", "mediawiki", pw, f":A:{hashlib.md5(pw.encode()).hexdigest()}", "mediawiki includes/password/MWOldPassword.php (hashlib)")

    # PostgreSQL SCRAM-SHA-256 (src/common/scram-common.c)
    salt = os.urandom(16)
    salted_pw = hashlib.pbkdf2_hmac("sha256", pw.encode(), salt, 4096, 32)
    ck = hmac.new(salted_pw, b"Client Key", "sha256").digest()
    sk = hmac.new(salted_pw, b"Server Key", "sha256").digest()
    add("database", "postgres_scram", pw, f"SCRAM-SHA-256$4096:{b64(salt)}${b64(hashlib.sha256(ck).digest())}:{b64(sk)}", "postgres src/common/scram-common.c (hashlib)")

    # SQL Server 2012+ (PWDENCRYPT): 0x0200 + salt + sha512(utf16le(password) + salt)
    salt = os.urandom(4)
    add("database", "mssql", pw, "0x0200" + (salt + hashlib.sha512(pw.encode("utf-16-le") + salt).digest()).hex().upper(), "SQL Server 2012 PWDENCRYPT (hashlib)")
    # Keycloak pbkdf2-sha512 (Pbkdf2Sha512PasswordHashProviderFactory: 210000 iterations, 64-byte key)
    salt = os.urandom(16)
    value = hashlib.pbkdf2_hmac("sha512", pw.encode(), salt, 210000, 64)
    add("keycloak", "keycloak", pw, json.dumps({"secretData": {"value": b64(value), "salt": b64(salt)}, "credentialData": {"hashIterations": 210000, "algorithm": "pbkdf2-sha512"}}),
        "keycloak Pbkdf2Sha512PasswordHashProviderFactory, admin API credential (hashlib)")

    # Spring Security encoders (crypto/src/main/java/org/springframework/security/crypto/...)
    salt = os.urandom(16)
    add("spring", "spring", pw, "{pbkdf2}" + (salt + hashlib.pbkdf2_hmac("sha1", pw.encode(), salt, 185000, 32)).hex(), "Pbkdf2PasswordEncoder.defaultsForSpringSecurity_v5_5 (hashlib)")
    add("spring", "spring", pw, "{pbkdf2@SpringSecurity_v5_8}" + (salt + hashlib.pbkdf2_hmac("sha256", pw.encode(), salt, 310000, 32)).hex(), "Pbkdf2PasswordEncoder.defaultsForSpringSecurity_v5_8 (hashlib)")
    salt8 = os.urandom(8)
    d = hashlib.sha256(salt8 + pw.encode()).digest()
    for _ in range(1023): d = hashlib.sha256(d).digest()
    add("spring", "spring", pw, "{sha256}" + (salt8 + d).hex(), "StandardPasswordEncoder: 1024 sha256 iterations (hashlib)")
    key = b64(os.urandom(32))
    add("spring", "spring", pw, "{MD5}{" + key + "}" + hashlib.md5((pw + "{" + key + "}").encode()).hexdigest(), "MessageDigestPasswordEncoder(\"MD5\") (hashlib)")
    add("spring", "spring", pw, "{SHA-256}{" + key + "}" + hashlib.sha256((pw + "{" + key + "}").encode()).hexdigest(), "MessageDigestPasswordEncoder(\"SHA-256\") (hashlib)")
    salt = os.urandom(16)
    dk = hashlib.scrypt(pw.encode(), salt=salt, n=16384, r=8, p=1, dklen=32)
    add("spring", "spring", pw, "{scrypt}$e0801$" + b64(salt) + "$" + b64(dk), "SCryptPasswordEncoder.defaultsForSpringSecurity_v4_1 (hashlib.scrypt)")
    add("spring", "spring", pw, "{noop}" + pw, "NoOpPasswordEncoder")
    add("spring", "spring", pw, "{ldap}" + ph.ldap_salted_sha1.hash(pw), "LdapShaPasswordEncoder {SSHA} (passlib ldap_salted_sha1)")
    add("spring", "spring", pw, "{bcrypt}" + ph.bcrypt.using(rounds=5, ident="2a").hash(pw), "BCryptPasswordEncoder (passlib bcrypt)")

    # Firebase's scrypt (github.com/firebase/scrypt README): AES-256-CTR of the signer key
    signer = os.urandom(64); sep = b"\x07"; salt = os.urandom(16)
    dk = hashlib.scrypt(pw.encode(), salt=salt + sep, n=2**14, r=8, p=1, dklen=64)
    enc = subprocess.run(["openssl", "enc", "-aes-256-ctr", "-K", dk[:32].hex(), "-iv", "00" * 16], input=signer, capture_output=True, check=True).stdout
    add("firebase", "firebase_scrypt", pw, f"$firescrypt$ln=14,r=8${b64(sep)}${b64(salt)}${b64(enc)}", "firebase/scrypt (hashlib.scrypt + openssl enc -aes-256-ctr)", pepper=b64(signer))

    # 389-ds PBKDF2_SHA256 (ldap/servers/plugins/pwdstorage/pbkdf2_pwd.c): 4-byte rounds, 64-byte salt, 256-byte key
    salt = os.urandom(64)
    add("ldap", "ldap_pbkdf2", pw, "{PBKDF2_SHA256}" + b64(struct.pack(">I", 2048) + salt + hashlib.pbkdf2_hmac("sha256", pw.encode(), salt, 2048, 256)), "389-ds pbkdf2_pwd.c PBKDF2_SHA256 (hashlib)")

    # RabbitMQ rabbit_password_hashing_sha256: base64(salt4 + sha256(salt4 + password))
    salt = os.urandom(4)
    add("rabbitmq", "rabbitmq", pw, b64(salt + hashlib.sha256(salt + pw.encode()).digest()), "rabbitmq rabbit_password_hashing_sha256 (hashlib)", scheme="rabbitmq")

    # Compositions configured as expressions
    add("composition", None, pw, hashlib.sha1(("k9" + hashlib.sha1(("k9" + hashlib.sha1(pw.encode()).hexdigest()).encode()).hexdigest()).encode()).hexdigest(),
        "OpenCart 2/3 system/library/cart/user.php sha1(salt . sha1(salt . sha1(password))) (hashlib)", salt="k9", scheme="sha1(salt + sha1(salt + sha1(password)))")
    d = pw + "az09"
    for _ in range(20): d = hashlib.sha512(d.encode()).hexdigest()
    add("composition", None, pw, d, "Authlogic lib/authlogic/crypto_providers/sha512.rb, 20 rounds (hashlib)", salt="az09",
        scheme="sha512(" * 20 + "password + salt" + ")" * 20)
    add("composition", None, pw, hmac.new(b"pepper-1", pw.encode(), "sha256").hexdigest(), "hash_hmac('sha256', password, pepper) (python hmac)", pepper="pepper-1", scheme="hmac_sha256(pepper, password)")
    add("composition", None, pw, hashlib.pbkdf2_hmac("sha256", pw.encode(), b"g1teaSalt", 10000, 50).hex(), "Gitea modules/auth/password/hash/pbkdf2.go (hashlib)", salt="g1teaSalt", scheme="pbkdf2_sha256(password, salt, 10000, 50)")
    add("composition", None, pw, hashlib.sha1(("alice" + pw).encode()).hexdigest(), "SMF 2.0 Subs-Auth.php sha1(strtolower(user) . password) (hashlib)", salt="Alice", scheme="sha1(lower(salt) + password)")
    add("composition", None, pw, ph.nthash.hash(pw), "passlib nthash as an expression", scheme="md4(utf16le(password))")

print(json.dumps(rows, indent=1, ensure_ascii=False))
