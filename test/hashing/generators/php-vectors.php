<?php
// Known-answer vectors made with php-cli, following each application's published source:
// password_hash, crypt, hash_hmac, hash_pbkdf2 and libsodium are PHP's own, not oidc-bridge's.
// Run: php test/hashing/generators/php-vectors.php > test/hashing/vectors/php.json
$tool = 'php-cli ' . PHP_VERSION . ' (password_hash, hash, hash_hmac, sodium)';
$rows = [];
function add(&$rows, $tool, $family, $verifier, $password, $stored, $source, $extra = []) {
  $wrong = $extra['wrong'] ?? ($password === '' ? 'x' : 'X' . substr($password, 1));
  unset($extra['wrong']);
  $rows[] = array_merge(['family' => $family, 'verifier' => $verifier, 'password' => $password, 'stored' => $stored,
    'wrong' => $wrong, 'source' => $source, 'tool' => $tool], $extra);
}
// Drupal 7 includes/password.inc, _password_crypt and _password_base64_encode.
function drupal_b64($input, $count) {
  $itoa = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'; $out = ''; $i = 0;
  do { $v = ord($input[$i++]); $out .= $itoa[$v & 0x3f];
    if ($i < $count) $v |= ord($input[$i]) << 8; $out .= $itoa[($v >> 6) & 0x3f];
    if ($i++ >= $count) break; if ($i < $count) $v |= ord($input[$i]) << 16; $out .= $itoa[($v >> 12) & 0x3f];
    if ($i++ >= $count) break; $out .= $itoa[($v >> 18) & 0x3f]; } while ($i < $count);
  return $out;
}
function drupal_crypt($algo, $password, $setting) {
  $itoa = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  $count = 1 << strpos($itoa, $setting[3]); $salt = substr($setting, 4, 8);
  $hash = hash($algo, $salt . $password, TRUE);
  do { $hash = hash($algo, $hash . $password, TRUE); } while (--$count);
  $out = substr($setting, 0, 12) . drupal_b64($hash, strlen($hash));
  return substr($out, 0, 55);
}
foreach (['correct horse battery', "p\u{e4}ssw\u{f6}rd-\u{65e5}\u{672c}", 'Tr0ub4dor&3'] as $pw) {
  $wp = base64_encode(hash_hmac('sha384', $pw, 'wp-sha384', true));
  add($rows, $tool, 'wordpress', 'wordpress', $pw, '$wp' . password_hash($wp, PASSWORD_BCRYPT, ['cost' => 5]), 'WordPress 6.8 wp-includes/pluggable.php wp_hash_password');
  add($rows, $tool, 'drupal', 'drupal', $pw, drupal_crypt('sha512', $pw, '$S$9Ab3dEf7h'), 'Drupal 7 includes/password.inc _password_crypt (sha512)');
  add($rows, $tool, 'drupal', 'drupal', $pw, 'U' . drupal_crypt('sha512', md5($pw), '$S$9Zy8xW6vQ'), 'Drupal 7 includes/password.inc, U$ rows from Drupal 6 md5');
  $salt = bin2hex(random_bytes(16));
  add($rows, $tool, 'joomla', 'colon_salted', $pw, md5($pw . $salt) . ':' . $salt, 'Joomla 1.5 JUserHelper::getCryptedPassword md5-hex');
  add($rows, $tool, 'magento', 'colon_salted', $pw, md5('Xy' . $pw) . ':Xy', 'Magento 1 Mage_Core_Model_Encryption::hash (md5(salt . password))');
  add($rows, $tool, 'magento', 'magento2', $pw, hash('sha256', $salt . $pw) . ':' . $salt . ':1', 'Magento 2 Framework/Encryption/Encryptor.php, version 1 (sha256)');
  $argon = bin2hex(sodium_crypto_pwhash(32, $pw, substr($salt, 0, 16), SODIUM_CRYPTO_PWHASH_OPSLIMIT_INTERACTIVE, SODIUM_CRYPTO_PWHASH_MEMLIMIT_INTERACTIVE, SODIUM_CRYPTO_PWHASH_ALG_ARGON2ID13));
  add($rows, $tool, 'magento', 'magento2', $pw, $argon . ':' . $salt . ':2', 'Magento 2 Encryptor.php, version 2 (sodium_crypto_pwhash argon2id13)');
  add($rows, $tool, 'magento', 'magento2', $pw, $argon . ':' . $salt . ':3_32_2_67108864', 'Magento 2 Encryptor.php, version 3 (parameters written out)');
  add($rows, $tool, 'magento', 'magento2', $pw, hash('sha256', $salt . md5($salt . $pw)) . ':' . $salt . ':0:1', 'Magento 2 Encryptor.php, an md5 hash upgraded in place (0:1)');
  add($rows, $tool, 'nextcloud', 'nextcloud', $pw, '1|' . password_hash($pw, PASSWORD_BCRYPT, ['cost' => 5]), 'Nextcloud lib/private/Security/Hasher.php version 1');
  add($rows, $tool, 'nextcloud', 'nextcloud', $pw, '3|' . password_hash($pw, PASSWORD_ARGON2ID, ['memory_cost' => 1024, 'time_cost' => 1, 'threads' => 1]), 'Nextcloud Hasher.php version 3 (argon2id)');
  add($rows, $tool, 'jenkins', 'jenkins', $pw, '#jbcrypt:' . password_hash($pw, PASSWORD_BCRYPT, ['cost' => 5]), 'Jenkins HudsonPrivateSecurityRealm #jbcrypt: (PHP bcrypt)');
  add($rows, $tool, 'composition', null, $pw, password_hash(md5($pw), PASSWORD_BCRYPT, ['cost' => 5]), 'vBulletin 5 core/vb/utility/password/algorithm/blowfish.php: bcrypt(md5(password))', ['scheme' => 'bcrypt(md5(password))', 'wrong' => md5($pw)]);
  add($rows, $tool, 'composition', null, $pw, password_hash(hash('sha256', $pw), PASSWORD_BCRYPT, ['cost' => 5]), 'Meteor accounts-password: bcrypt(sha256(password))', ['scheme' => 'bcrypt(sha256(password))', 'wrong' => hash('sha256', $pw)]);
  add($rows, $tool, 'composition', null, $pw, password_hash($pw . 'app-pepper-1', PASSWORD_BCRYPT, ['cost' => 5]), 'Devise lib/devise/encryptor.rb: bcrypt(password + pepper)', ['scheme' => 'bcrypt(password + pepper)', 'pepper' => 'app-pepper-1', 'wrong' => $pw . 'app-pepper-1']);
  add($rows, $tool, 'composition', null, $pw, password_hash(strtolower('Alice') . $pw, PASSWORD_BCRYPT, ['cost' => 5]), 'SMF 2.1 Sources/Subs-Auth.php hash_password: bcrypt(strtolower(user) . password)', ['scheme' => 'bcrypt(lower(salt) + password)', 'salt' => 'Alice', 'wrong' => 'alice' . $pw]);
  add($rows, $tool, 'drupal', 'drupal', $pw, 'U' . drupal_crypt('md5', md5($pw), '$P$BzX3r5Tq9'), 'Drupal 7 includes/password.inc, U$P$ rows (phpass md5 over the Drupal 6 md5)');
  add($rows, $tool, 'magento', 'colon_salted', $pw, hash('sha256', 'Qw' . $pw) . ':Qw', 'Magento 1 Enterprise Enterprise_Pci_Model_Encryption::hash (sha256(salt . password))');
  add($rows, $tool, 'mediawiki', 'mediawiki', $pw, ':argon2:' . password_hash($pw, PASSWORD_ARGON2ID, ['memory_cost' => 1024, 'time_cost' => 2, 'threads' => 1]), 'MediaWiki includes/password/Argon2Password.php (password_hash)');
  add($rows, $tool, 'spring', 'spring', $pw, '{argon2}' . password_hash($pw, PASSWORD_ARGON2ID, ['memory_cost' => 1024, 'time_cost' => 2, 'threads' => 1]), 'Spring Argon2PasswordEncoder writes a PHC argon2id string (made with password_hash)');
  add($rows, $tool, 'composition', null, $pw, sha1('--' . 'Zk7' . '--' . $pw . '--'), 'restful-authentication (Rails) sha1("--salt--password--"), with literals', ['scheme' => "sha1('--' + salt + '--' + password + '--')", 'salt' => 'Zk7']);
  add($rows, $tool, 'composition', null, $pw, md5(md5($pw) . 'q1w'), 'vBulletin 3/4 md5(md5(password) . salt)', ['scheme' => 'md5(md5(password) + salt)', 'salt' => 'q1w']);
  add($rows, $tool, 'composition', null, $pw, hash_hmac('sha256', $pw, 'row-salt'), "hash_hmac('sha256', password, salt)", ['scheme' => 'hmac_sha256(salt, password)', 'salt' => 'row-salt']);
  add($rows, $tool, 'composition', null, $pw, hash_pbkdf2('sha1', $pw, 'NaCl', 1000, 40), "hash_pbkdf2('sha1', password, salt, 1000, 40): 20 bytes in hex", ['scheme' => 'pbkdf2_sha1(password, salt, 1000, 20)', 'salt' => 'NaCl']);
}
echo json_encode($rows, JSON_PRETTY_PRINT | JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES), "\n";
