#!/bin/sh
# Known-answer vectors made by mkpasswd (Debian's whois package, over libxcrypt): the crypt(3)
# family as the system writes it. Run: sh test/hashing/generators/mkpasswd-vectors.sh > test/hashing/vectors/mkpasswd.json
set -eu
tool="mkpasswd $(mkpasswd --version 2>&1 | head -n1 | sed 's/[^0-9.]//g') (libxcrypt)"
first=1
echo "["
for pw in 'correct horse battery' 'Tr0ub4dor&3' 'p\303\244ssw\303\266rd'; do
  pw=$(printf "$pw")
  for spec in "yescrypt yescrypt" "gost-yescrypt yescrypt" "descrypt des_crypt" "bsdicrypt des_crypt" "sunmd5 sun_md5" "nt nt_hash" "scrypt scrypt_crypt" \
              "md5crypt md5_crypt" "sha512crypt sha_crypt" "bcrypt bcrypt"; do
    method=${spec% *}; verifier=${spec#* }
    case $method in bcrypt) extra="-R 5";; scrypt) extra="-R 6";; yescrypt|gost-yescrypt) extra="-R 3";; *) extra="";; esac
    stored=$(mkpasswd -m "$method" $extra "$pw")
    [ $first = 1 ] || echo ","
    first=0
    printf '{"family":"crypt","verifier":"%s","password":%s,"stored":"%s","wrong":%s,"source":"mkpasswd -m %s","tool":"%s"}' \
      "$verifier" "$(printf '%s' "$pw" | /usr/bin/python3 -c 'import json,sys;print(json.dumps(sys.stdin.read()))')" "$stored" \
      "$(printf 'X%s' "${pw#?}" | /usr/bin/python3 -c 'import json,sys;print(json.dumps(sys.stdin.read()))')" "$method" "$tool"
  done
done
# One yescrypt at the system default (j9T: N=4096, r=32), which takes the pre-hash pass.
pw='Debian default 1'
printf ',{"family":"crypt","verifier":"yescrypt","password":"%s","stored":"%s","wrong":"X%s","source":"mkpasswd -m yescrypt (default cost)","tool":"%s"}' \
  "$pw" "$(mkpasswd -m yescrypt "$pw")" "${pw#?}" "$tool"
echo "]"
