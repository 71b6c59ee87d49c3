import { z } from 'zod';

/**
 * The texts a person signing in may see, per protocol answer, with per-locale overrides. One generic text
 * per kind of failure: the answer never tells a wrong password from an unknown user, and never shows an
 * exception.
 */

export const messageKeys = ['invalid', 'locked', 'disabled', 'mustChange', 'unavailable', 'badRequest', 'signupExists', 'resetNotFound'] as const;
export type MessageKey = (typeof messageKeys)[number];
export type Messages = Record<MessageKey, string>;

export const defaultMessages: Messages = {
  invalid: 'Your password is incorrect.',
  locked: 'Your account is temporarily locked to prevent unauthorized use. Try again later.',
  disabled: 'Your account has been disabled. Contact your administrator.',
  mustChange: 'Your password has expired. Reset your password to continue.',
  unavailable: 'We cannot check your password right now. Please try again in a few minutes.',
  badRequest: 'The request could not be processed.',
  signupExists: 'A user with the specified ID already exists. Please choose a different one.',
  resetNotFound: 'An account could not be found for the provided user ID.',
};

const partialMessages = z.object(Object.fromEntries(messageKeys.map((key) => [key, z.string().min(1).max(1024).optional()])) as Record<MessageKey, z.ZodOptional<z.ZodString>>).strict();

export const messagesSchema = z
  .object({
    /** Overrides of the default (English) texts. */
    default: partialMessages.optional(),
    /** Texts per locale (`fr`, `fr-CA`, `de`): the most specific match of the call's locale wins. */
    locales: z.record(z.string().regex(/^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/u, 'must be a language tag'), partialMessages).default({}),
  })
  .strict()
  .default({ locales: {} });

export type MessagesOptions = z.input<typeof messagesSchema>;

/** Picks the texts for a locale: `fr-CA`, then `fr`, then the defaults, key by key. */
export function messagesFor(options: z.output<typeof messagesSchema>, locale: string | undefined): Messages {
  const base: Messages = { ...defaultMessages, ...definedOnly(options.default ?? {}) };
  if (locale === undefined) return base;
  const wanted = locale.split(/[\s,;]+/u)[0]?.toLowerCase() ?? '';
  const byTag = new Map(Object.entries(options.locales).map(([tag, texts]) => [tag.toLowerCase(), texts]));
  const language = wanted.split('-')[0] ?? '';
  return { ...base, ...definedOnly(byTag.get(language) ?? {}), ...definedOnly(byTag.get(wanted) ?? {}) };
}

function definedOnly(texts: Partial<Record<MessageKey, string | undefined>>): Partial<Messages> {
  return Object.fromEntries(Object.entries(texts).filter(([, text]) => text !== undefined));
}
