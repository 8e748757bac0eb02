#!/bin/sh
# Known-answer vectors made by mkpasswd (Debian's whois package, over libxcrypt): the crypt(3)
# family as the system writes it. Run: sh test/hashing/generators/mkpasswd-vectors.sh > test/hashing/vectors/mkpasswd.json
set -eu
tool="mkpasswd $(mkpasswd --version 2>&1 | head -n1 | sed 's/[^0-9.]//g') (libxcrypt)"
first=1
echo "["
for pw in 'correct horse battery' 'Tr0ub4dor&3' 'p\303\244ssw\303\266rd'; do
  pw=$(printf "$pw")
  for spec in "descrypt des_crypt" "bsdicrypt des_crypt" "sunmd5 sun_md5" "nt nt_hash" "scrypt scrypt_crypt" \
              "md5crypt md5_crypt" "sha512crypt sha_crypt" "bcrypt bcrypt"; do
    method=${spec% *}; verifier=${spec#* }
    case $method in bcrypt) extra="-R 5";; scrypt) extra="-R 6";; *) extra="";; esac
    stored=$(mkpasswd -m "$method" $extra "$pw")
    [ $first = 1 ] || echo ","
    first=0
    printf '{"family":"crypt","verifier":"%s","password":%s,"stored":"%s","wrong":%s,"source":"mkpasswd -m %s","tool":"%s"}' \
      "$verifier" "$(printf '%s' "$pw" | /usr/bin/python3 -c 'import json,sys;print(json.dumps(sys.stdin.read()))')" "$stored" \
      "$(printf 'X%s' "${pw#?}" | /usr/bin/python3 -c 'import json,sys;print(json.dumps(sys.stdin.read()))')" "$method" "$tool"
  done
done
echo "]"
