// Oracle helper for scripts/vectors/generate.py: Keycloak's PBKDF2 password credentials, computed by the JDK
// (javax.crypto SecretKeyFactory PBKDF2WithHmacSHA1/SHA256/SHA512 over a PBEKeySpec, as Keycloak's
// Pbkdf2PasswordHashProvider does). generate.py compiles this file into a temporary directory and runs one JVM
// for every job. One job per line on stdin, tab-separated; binary arguments (salt, the UTF-8 password) are
// base64 so that any password survives the line protocol. One answer per line: "ok<TAB>result" or
// "error<TAB>message".
//
//   version
//   derive <TAB> algorithm <TAB> iterations <TAB> key bits <TAB> base64 salt <TAB> base64 UTF-8 password
//       -> base64 (standard, padded) of the derived key: secretData.value
//   verify <TAB> algorithm <TAB> iterations <TAB> base64 salt <TAB> stored value <TAB> base64 UTF-8 password
//       -> "true"/"false" the way Keycloak decides: the key size is the decoded stored value's length, the
//          password is derived again and the padded base64 string is compared with the stored string
//
// algorithm is Keycloak's credentialData.algorithm: "pbkdf2" (HmacSHA1), "pbkdf2-sha256", "pbkdf2-sha512".

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

public final class KeycloakOracle {
    private KeycloakOracle() {}

    private static String jcaName(String algorithm) {
        switch (algorithm) {
            case "pbkdf2": return "PBKDF2WithHmacSHA1";
            case "pbkdf2-sha256": return "PBKDF2WithHmacSHA256";
            case "pbkdf2-sha512": return "PBKDF2WithHmacSHA512";
            default: throw new IllegalArgumentException("unknown algorithm " + algorithm);
        }
    }

    private static String password(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    }

    private static String derive(String algorithm, int iterations, int keyBits, byte[] salt, String password) throws Exception {
        PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, keyBits);
        try {
            byte[] key = SecretKeyFactory.getInstance(jcaName(algorithm)).generateSecret(spec).getEncoded();
            return Base64.getEncoder().encodeToString(key);
        } finally {
            spec.clearPassword();
        }
    }

    private static String answer(String[] f) throws Exception {
        switch (f[0]) {
            case "version":
                return Runtime.version().toString();
            case "derive":
                return derive(f[1], Integer.parseInt(f[2]), Integer.parseInt(f[3]), Base64.getDecoder().decode(f[4]), password(f[5]));
            case "verify": {
                String stored = f[4];
                int keyBits = Base64.getDecoder().decode(stored).length * 8;
                String again = derive(f[1], Integer.parseInt(f[2]), keyBits, Base64.getDecoder().decode(f[3]), password(f[5]));
                return Boolean.toString(again.equals(stored));
            }
            default:
                throw new IllegalArgumentException("unknown op " + f[0]);
        }
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        String line;
        while ((line = in.readLine()) != null) {
            String[] fields = line.split("\t", -1);
            try {
                out.println("ok\t" + answer(fields));
            } catch (Exception error) {
                out.println("error\t" + error.getClass().getSimpleName() + ": " + String.valueOf(error.getMessage()).replace('\n', ' '));
            }
        }
    }
}
