import { z } from 'zod';
import type { CallerMethod } from './shared.js';

/**
 * Mutual TLS: B2C `AuthenticationType` `ClientCertificate` (policy key `ClientCertificate`, a .pfx). The TLS
 * handshake happens in the host; it hands over what it saw as `JitConnectionInfo.clientCertificate`. This
 * method pins that certificate by SHA-256 fingerprint and/or subject CN.
 */

function normalizeFingerprint(value: string): string {
  return value.replace(/[\s:]/gu, '').toLowerCase();
}

const sha256Hex = /^[0-9a-f]{64}$/u;

const thumbprintSchema = z
  .string()
  .transform(normalizeFingerprint)
  .superRefine((value, context) => {
    if (sha256Hex.test(value)) return;
    context.addIssue({
      code: 'custom',
      // The Azure portal shows SHA-1 thumbprints; this setting needs the SHA-256 one.
      message:
        value.length === 40
          ? 'looks like a SHA-1 thumbprint: give the SHA-256 fingerprint (openssl x509 -noout -fingerprint -sha256 -in cert.pem)'
          : 'a SHA-256 fingerprint: 64 hex digits, colons allowed',
    });
  });

export const clientCertificateSchema = z
  .object({
    /** SHA-256 fingerprints of the accepted certificates; any case, with or without colons. */
    thumbprints: z.array(thumbprintSchema).min(1).optional(),
    /** Accepted subject CN values (compared case-insensitively, like directory names). */
    subjects: z.array(z.string().min(1)).min(1).optional(),
    /** Demand that the TLS layer verified the chain against its trusted CAs (`socket.authorized`). */
    requireAuthorized: z.boolean().default(true),
  })
  .strict()
  .superRefine((options, context) => {
    if (options.thumbprints === undefined && options.subjects === undefined) {
      // Without a pin, any certificate the trusted CAs ever issued would pass: with a public CA, anyone's.
      context.addIssue({ code: 'custom', message: 'give thumbprints, subjects or both: a chain check alone accepts every certificate the CAs issued' });
    }
    if (!options.requireAuthorized && options.thumbprints === undefined) {
      // An unverified certificate's subject is whatever its maker typed: only a fingerprint still means something.
      context.addIssue({ code: 'custom', path: ['requireAuthorized'], message: 'false needs thumbprints: anyone can make a self-signed certificate with a given CN' });
    }
  });

export type ClientCertificateOptions = z.input<typeof clientCertificateSchema>;

function commonNames(subject: Readonly<Record<string, string | string[]>> | undefined): string[] {
  const cn = subject?.['CN'];
  if (cn === undefined) return [];
  return typeof cn === 'string' ? [cn] : cn;
}

export function clientCertificateMethod(options: z.output<typeof clientCertificateSchema>): CallerMethod {
  const thumbprints = options.thumbprints === undefined ? undefined : new Set(options.thumbprints);
  const subjects = options.subjects === undefined ? undefined : new Set(options.subjects.map((subject) => subject.toLowerCase()));
  return (_request, connection) => {
    const certificate = connection.clientCertificate;
    if (certificate === undefined) return { ok: false, reason: 'no client certificate (the host must request one and pass it on)' };
    if (options.requireAuthorized && certificate.authorized !== true) return { ok: false, reason: 'the TLS layer did not verify the certificate chain' };
    const fingerprint = certificate.fingerprint256 === undefined ? undefined : normalizeFingerprint(certificate.fingerprint256);
    // Every configured criterion must hold: a thumbprint pin plus a CN is stricter than either.
    if (thumbprints !== undefined && (fingerprint === undefined || !thumbprints.has(fingerprint))) {
      return { ok: false, reason: fingerprint === undefined ? 'certificate without a fingerprint' : `certificate ${fingerprint} is not among the thumbprints` };
    }
    const names = commonNames(certificate.subject);
    if (subjects !== undefined && !names.some((name) => subjects.has(name.toLowerCase()))) {
      return { ok: false, reason: names.length === 0 ? 'certificate subject has no CN' : `certificate CN ${JSON.stringify(names.join(', ').slice(0, 200))} is not among the subjects` };
    }
    const subject = names[0] ?? fingerprint;
    return { ok: true, identity: subject === undefined ? { method: 'client-certificate' } : { method: 'client-certificate', subject } };
  };
}
