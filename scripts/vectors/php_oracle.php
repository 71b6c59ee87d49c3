<?php
// Oracle helper for scripts/vectors/generate.py: reads one JSON job per line on stdin, writes one JSON
// result per line. Jobs: {"op":"crypt","password":..,"salt":..} | {"op":"password_hash","password":..,
// "algo":"bcrypt|argon2i|argon2id","options":{..}} | {"op":"verify","password":..,"hash":..} (crypt-style
// compare through password_verify, which covers crypt() hashes and argon2 PHC strings) |
// {"op":"wp_hash_password","password":..,"options":{..}} | {"op":"wp_check_password","password":..,"hash":..}
// | {"op":"wp_login_check","password":..,"hash":..}.
//
// The wp_* jobs follow WordPress 6.8's wp-includes/pluggable.php with its default filters (bcrypt, no
// $wp_hasher override), written here from that file's behaviour (WordPress itself is not installed):
//   wp_hash_password:  '$wp' . password_hash(base64_encode(hash_hmac('sha384', trim($password), 'wp-sha384',
//                      true)), PASSWORD_BCRYPT, $options); '*' for a password over 4096 bytes.
//   wp_check_password: the '$wp' branch: NO trim, false over 4096 bytes, then password_verify of the same
//                      pre-hash against the hash without its '$wp'.
//   wp_login_check:    what a login does: wp_authenticate() trim()s the typed password before the
//                      authenticate filters reach wp_check_password.
function wp68_prehash(string $password): string {
    return base64_encode(hash_hmac('sha384', $password, 'wp-sha384', true));
}
function wp68_check_password(string $password, string $hash): ?bool {
    if (strlen($hash) <= 32 || !str_starts_with($hash, '$wp')) {
        return null; // another branch of wp_check_password (md5, phpass, plain password_verify): not this oracle
    }
    if (strlen($password) > 4096) {
        return false;
    }
    return password_verify(wp68_prehash($password), substr($hash, 3));
}
$algos = ['bcrypt' => PASSWORD_BCRYPT, 'argon2i' => PASSWORD_ARGON2I, 'argon2id' => PASSWORD_ARGON2ID];
while (($line = fgets(STDIN)) !== false) {
    $job = json_decode($line, true, 512, JSON_THROW_ON_ERROR);
    $out = null;
    switch ($job['op']) {
        case 'crypt':
            $out = crypt($job['password'], $job['salt']);
            break;
        case 'password_hash':
            $out = password_hash($job['password'], $algos[$job['algo']], $job['options'] ?: []);
            break;
        case 'verify':
            $out = password_verify($job['password'], $job['hash']);
            break;
        case 'wp_hash_password':
            $out = strlen($job['password']) > 4096 ? '*'
                : '$wp' . password_hash(wp68_prehash(trim($job['password'])), PASSWORD_BCRYPT, $job['options'] ?: []);
            break;
        case 'wp_check_password':
            $out = wp68_check_password($job['password'], $job['hash']);
            break;
        case 'wp_login_check':
            $out = wp68_check_password(trim($job['password']), $job['hash']);
            break;
        case 'version':
            $out = PHP_VERSION;
            break;
    }
    echo json_encode(['result' => $out], JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES), "\n";
}
