<?php
// Oracle helper for scripts/vectors/generate.py: reads one JSON job per line on stdin, writes one JSON
// result per line. Jobs: {"op":"crypt","password":..,"salt":..} | {"op":"password_hash","password":..,
// "algo":"bcrypt|argon2i|argon2id","options":{..}} | {"op":"verify","password":..,"hash":..} (crypt-style
// compare through password_verify, which covers crypt() hashes and argon2 PHC strings).
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
        case 'version':
            $out = PHP_VERSION;
            break;
    }
    echo json_encode(['result' => $out], JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES), "\n";
}
