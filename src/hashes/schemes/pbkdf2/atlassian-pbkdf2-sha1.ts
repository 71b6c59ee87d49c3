import { constantTimeEqual, fromBase64, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { checkPbkdf2Work, derivePbkdf2 } from './pbkdf2.js';

const id = 'atlassian_pbkdf2_sha1';
// 16-byte salt + 32-byte key = 48 bytes = 64 base64 characters, never padded.
const shape = /^\{PKCS5S2\}([A-Za-z0-9+/]{64})$/u;
const iterations = 10_000;

/** Atlassian Crowd/Jira/Confluence `{PKCS5S2}`: PBKDF2-HMAC-SHA1, 10,000 iterations, UTF-8 password. */
export const atlassianPbkdf2Sha1: HashScheme = {
  id,
  family: 'pbkdf2',
  summary: 'Atlassian Crowd/Jira/Confluence {PKCS5S2}: PBKDF2-HMAC-SHA1, 10,000 iterations, salt and key in one base64 blob',
  example: '{PKCS5S2}base64(16-byte salt + 32-byte key)',
  source: 'Atlassian DefaultPasswordEncoder (PKCS5S2); passlib atlassian_pbkdf2_sha1',
  execution: 'threadpool',
  upgradeAdvice: 'PBKDF2-SHA1 at 10,000 iterations is weak today: re-hash at first sign-in.',
  identify: (hash) => shape.test(hash),
  async verify({ password, hash, limits }) {
    const raw = fromBase64(shape.exec(hash)?.[1] ?? '');
    if (!raw || raw.length !== 48) throw malformed(id, 'expected {PKCS5S2} and base64 of a 16-byte salt and a 32-byte key');
    checkPbkdf2Work(iterations, 32, limits, id);
    return constantTimeEqual(await derivePbkdf2(password, raw.subarray(0, 16), iterations, 32, 'sha1'), raw.subarray(16));
  },
};
