/**
 * Keycloak's PBKDF2 password credential. The stored form is two JSON documents: secretData
 * `{"value": base64 key, "salt": base64 salt}` and credentialData `{"hashIterations": N, "algorithm":
 * "pbkdf2-sha256"}`. The hash string is either one JSON object holding both as objects (realm exports) or
 * holding both as JSON strings (the CREDENTIAL table's SECRET_DATA / CREDENTIAL_DATA columns). Keycloak
 * derives as many bits as the stored key has (512 by default), over the UTF-8 password (Java PBEKeySpec).
 */
import { constantTimeEqual, fromBase64, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { checkPbkdf2Work, derivePbkdf2, type PbkdfDigest } from './pbkdf2.js';

interface Credential {
  algorithm: string | undefined;
  iterations: number;
  salt: Buffer;
  key: Buffer;
  /** The stored base64 text itself: Keycloak compares encodings, not bytes. */
  encodedKey: string;
}

function record(value: unknown): Record<string, unknown> | undefined {
  if (typeof value === 'string') {
    try {
      return record(JSON.parse(value) as unknown);
    } catch {
      return undefined;
    }
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

const credentialStart = /^\s*\{\s*"/u;

function parseCredential(hash: string): Credential | string {
  // A JSON object with keys starts `{"`: `{SSHA}...` and the other `{SCHEME}` hashes are turned away here,
  // without a JSON.parse and its exception for every one of them (`auto` identification runs this per sign-in).
  if (!credentialStart.test(hash)) return 'expected Keycloak credential JSON';
  const top = record(hash);
  const secret = record(top?.secretData);
  const data = record(top?.credentialData);
  if (!secret || !data) return 'expected JSON with secretData and credentialData';
  const { value, salt } = secret;
  const { hashIterations, algorithm } = data;
  if (typeof value !== 'string' || typeof salt !== 'string') return 'secretData needs base64 "value" and "salt"';
  if (typeof hashIterations !== 'number' || !Number.isSafeInteger(hashIterations)) return 'credentialData needs an integer "hashIterations"';
  if (algorithm !== undefined && typeof algorithm !== 'string') return 'credentialData "algorithm" must be a string';
  const key = fromBase64(value);
  const saltBytes = fromBase64(salt);
  if (!key || key.length === 0 || !saltBytes) return 'secretData "value" and "salt" must be base64';
  return { algorithm, iterations: hashIterations, salt: saltBytes, key, encodedKey: value };
}

export function keycloakCredentialScheme(id: string, algorithm: 'pbkdf2' | 'pbkdf2-sha256' | 'pbkdf2-sha512'): HashScheme {
  const digest: PbkdfDigest = algorithm === 'pbkdf2' ? 'sha1' : algorithm === 'pbkdf2-sha256' ? 'sha256' : 'sha512';
  return {
    id,
    family: 'pbkdf2',
    summary: `Keycloak password credential, algorithm "${algorithm}" (PBKDF2-HMAC-${digest.toUpperCase()}), as credential JSON`,
    example: `{"secretData":{"value":"b64","salt":"b64"},"credentialData":{"hashIterations":N,"algorithm":"${algorithm}"}}`,
    source: 'Keycloak Pbkdf2PasswordHashProvider (vectors from the JDK\'s PBKDF2 in its layout: scripts/vectors/KeycloakOracle.java)',
    execution: 'threadpool',
    upgradeAdvice:
      algorithm === 'pbkdf2'
        ? 'PBKDF2-SHA1 is deprecated in Keycloak: re-hash with argon2id or pbkdf2_sha256 at first sign-in.'
        : 'Sound at 210,000+ (SHA-512) / 600,000 (SHA-256) iterations; re-hash at sign-in otherwise.',
    identify(hash) {
      const credential = parseCredential(hash);
      return typeof credential !== 'string' && credential.algorithm === algorithm;
    },
    async verify({ password, hash, limits }) {
      const credential = parseCredential(hash);
      if (typeof credential === 'string') throw malformed(id, credential);
      if (credential.algorithm !== undefined && credential.algorithm !== algorithm) throw malformed(id, `credentialData.algorithm is not "${algorithm}"`);
      checkPbkdf2Work(credential.iterations, credential.key.length, limits, id);
      // Keycloak re-encodes the derived key as padded standard base64 and compares the strings, so a stored
      // value with its padding stripped (or in base64url) never verifies there: the same here (JDK oracle).
      const derived = await derivePbkdf2(password, credential.salt, credential.iterations, credential.key.length, digest);
      return constantTimeEqual(derived.toString('base64'), credential.encodedKey);
    },
  };
}
