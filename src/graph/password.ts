/**
 * The Entra "strong" password rules that Graph applies to a new password unless the user's
 * passwordPolicies include DisableStrongPassword (reference §3.2, concept-sspr-policy): 8 to 256
 * characters, at least 3 of the 4 classes (lower case, upper case, digit, symbol), and only these
 * characters: A-Z a-z 0-9, the symbols below, and blank space. Unicode is refused.
 */
import { randomInt } from 'node:crypto';
import { LegacyIdpError } from '../core/errors.js';

export const strongPasswordSymbols = '@#$%^&*-_!+=[]{}|\\:\',.?/`~"();<>';
export const strongPasswordMinLength = 8;
export const strongPasswordMaxLength = 256;

export type PasswordPolicyResult = { ok: true } | { ok: false; reason: 'length' | 'characters' | 'classes' };

/**
 * Checks a password against the strong policy without saying anything about its content: the reason is a
 * category, so it can be logged. The bulk engine uses it to decide between importing as is, importing with
 * DisableStrongPassword, or a forced reset, before Graph refuses the create.
 */
export function checkStrongPassword(password: string): PasswordPolicyResult {
  if (password.length < strongPasswordMinLength || password.length > strongPasswordMaxLength) return { ok: false, reason: 'length' };
  let lower = false;
  let upper = false;
  let digit = false;
  let symbol = false;
  for (const char of password) {
    if (char >= 'a' && char <= 'z') lower = true;
    else if (char >= 'A' && char <= 'Z') upper = true;
    else if (char >= '0' && char <= '9') digit = true;
    else if (strongPasswordSymbols.includes(char)) symbol = true;
    else if (char !== ' ') return { ok: false, reason: 'characters' };
  }
  const classes = Number(lower) + Number(upper) + Number(digit) + Number(symbol);
  return classes >= 3 ? { ok: true } : { ok: false, reason: 'classes' };
}

const lowerCase = 'abcdefghijklmnopqrstuvwxyz';
const upperCase = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const digits = '0123456789';
/**
 * The generator's symbols: the allowed list without quotes, backslash, backtick and space, so that a
 * generated password survives being pasted into a shell, a CSV cell or a JSON string unchanged.
 */
const generatorSymbols = '@#$%^&*-_!+=[]{}|:,.?/~()<>;';
const everyClass = lowerCase + upperCase + digits + generatorSymbols;

const pick = (alphabet: string): string => alphabet[randomInt(alphabet.length)] ?? '';

/**
 * A random password that meets the strong policy, for accounts whose legacy password cannot be carried
 * over (pre-migration with a random password, then a JIT or reset step). Every character comes from
 * crypto.randomInt; all four classes are present (the rule needs three), in random positions.
 */
export function generateCompliantPassword(length = 16): string {
  if (!Number.isInteger(length) || length < strongPasswordMinLength || length > strongPasswordMaxLength) {
    throw new LegacyIdpError(
      'ERR_LEGACY_IDP_INVALID_INPUT',
      `generateCompliantPassword: length must be an integer from ${strongPasswordMinLength} to ${strongPasswordMaxLength}`,
    );
  }
  const chars = [pick(lowerCase), pick(upperCase), pick(digits), pick(generatorSymbols)];
  while (chars.length < length) chars.push(pick(everyClass));
  // Fisher-Yates, so the guaranteed classes are not always the first four characters.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    const swap = chars[i] ?? '';
    chars[i] = chars[j] ?? '';
    chars[j] = swap;
  }
  return chars.join('');
}
