import { X509Certificate, createPublicKey, createSecretKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { z } from 'zod';

/**
 * Verification keys given in the options (PEM or JWK) and which token algorithm each may verify. The table
 * is the whole defence against algorithm confusion: an HS* token is only ever checked with a secret the
 * operator configured as one (a JWK of kty "oct"), never with the bytes of an RSA or EC public key, which
 * anybody can read from a JWKS and would otherwise use as the HMAC secret of a forged token.
 */

export const jwsAlgorithms = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'HS256', 'HS384', 'HS512'] as const;
export type JwsAlgorithm = (typeof jwsAlgorithms)[number];

export function isJwsAlgorithm(value: string): value is JwsAlgorithm {
  return (jwsAlgorithms as readonly string[]).includes(value);
}

export function isHmac(alg: JwsAlgorithm): boolean {
  return alg === 'HS256' || alg === 'HS384' || alg === 'HS512';
}

// RFC 7518 §3.2: an HMAC key at least as long as the hash output.
const hmacMinBytes = { HS256: 32, HS384: 48, HS512: 64 } as const;
const ecCurves = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' } as const;

/** Whether `key` may verify a token signed with `alg`. */
export function keyFits(alg: JwsAlgorithm, key: KeyObject): boolean {
  switch (alg) {
    case 'HS256':
    case 'HS384':
    case 'HS512':
      return key.type === 'secret' && (key.symmetricKeySize ?? 0) >= hmacMinBytes[alg];
    case 'RS256':
    case 'RS384':
    case 'RS512':
    case 'PS256':
    case 'PS384':
    case 'PS512':
      return key.type === 'public' && key.asymmetricKeyType === 'rsa';
    case 'ES256':
    case 'ES384':
    case 'ES512':
      return key.type === 'public' && key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === ecCurves[alg];
    case 'EdDSA':
    case 'Ed25519':
      return key.type === 'public' && key.asymmetricKeyType === 'ed25519';
  }
}

export interface VerificationKey {
  /** The JWK's `kid`; a token naming another kid is not tried with this key. PEM keys have none. */
  kid: string | undefined;
  /** The JWK's `alg`, when it pins one. */
  alg: JwsAlgorithm | undefined;
  key: KeyObject;
}

type Imported = VerificationKey | { problem: string };

function checkedPublicKey(key: KeyObject): string | undefined {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      // jose refuses shorter RSA keys at verification time; say so when the key is configured instead.
      return (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048 ? 'RSA key shorter than 2048 bits' : undefined;
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      return curve === undefined || !(Object.values(ecCurves) as string[]).includes(curve) ? 'EC key on a curve JWS does not use (P-256, P-384, P-521 only)' : undefined;
    }
    case 'ed25519':
      return undefined;
    default:
      return `unsupported key type ${String(key.asymmetricKeyType)}`;
  }
}

function fromPem(pem: string): Imported {
  const text = pem.trim();
  if (!text.startsWith('-----BEGIN ')) return { problem: 'expected a PEM public key or certificate, or a JWK object' };
  if (text.includes('PRIVATE KEY-----')) return { problem: 'a private key: configure the public key (the signing key has no place on the verifying side)' };
  const key = text.startsWith('-----BEGIN CERTIFICATE-----') ? new X509Certificate(text).publicKey : createPublicKey(text);
  const problem = checkedPublicKey(key);
  return problem === undefined ? { kid: undefined, alg: undefined, key } : { problem };
}

function fromJwk(jwk: JWK): Imported {
  if (jwk.use !== undefined && jwk.use !== 'sig') return { problem: 'JWK "use" is not "sig"' };
  if (jwk.alg !== undefined && !isJwsAlgorithm(jwk.alg)) return { problem: 'JWK "alg" is not a supported signing algorithm' };
  const alg = jwk.alg;
  const kid = typeof jwk.kid === 'string' ? jwk.kid : undefined;
  let key: KeyObject;
  if (jwk.kty === 'oct') {
    if (typeof jwk.k !== 'string') return { problem: 'symmetric JWK without "k"' };
    const secret = Buffer.from(jwk.k, 'base64url');
    if (secret.length < hmacMinBytes.HS256) return { problem: `symmetric key shorter than ${hmacMinBytes.HS256} bytes (RFC 7518 §3.2)` };
    key = createSecretKey(secret);
  } else {
    if (jwk.d !== undefined || jwk.priv !== undefined) return { problem: 'a private JWK: configure the public key (the signing key has no place on the verifying side)' };
    key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    const problem = checkedPublicKey(key);
    if (problem !== undefined) return { problem };
  }
  if (alg !== undefined && !keyFits(alg, key)) return { problem: `JWK "alg" ${alg} does not fit the key's type or size` };
  return { kid, alg, key };
}

const keyInput = z.custom<JWK | string>(
  (value) => typeof value === 'string' || (typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as { kty?: unknown }).kty === 'string'),
  'expected a PEM string or a JWK object (with kty)',
);

/** A PEM (SPKI public key, PKCS#1 RSA public key or X.509 certificate) or a JWK; imported when the options are parsed. */
export const verificationKeySchema = keyInput.transform((value, context): VerificationKey => {
  let imported: Imported;
  try {
    imported = typeof value === 'string' ? fromPem(value) : fromJwk(value);
  } catch {
    // node:crypto's message can quote the key material it choked on; say only that it did not parse.
    imported = { problem: typeof value === 'string' ? 'the PEM does not parse as a public key or certificate' : 'the JWK does not parse as a key' };
  }
  if ('problem' in imported) {
    context.addIssue({ code: 'custom', message: imported.problem });
    return z.NEVER;
  }
  return imported;
});
