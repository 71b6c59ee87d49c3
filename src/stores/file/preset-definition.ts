import type { z } from 'zod';
import type { UsernameNormalizationOptions } from '../../core/normalize.js';
import type { RecordMappingOptions, Row } from '../record/mapping.js';

/** The formats the file store reads. */
export const fileFormats = ['jsonl', 'json', 'csv'] as const;
export type FileFormat = (typeof fileFormats)[number];

/** What a preset sets for the file store; the store's own options override each part. */
export interface FilePresetParts {
  name: string;
  /** The export's format, used when the options give none (absent or `auto`). */
  format?: FileFormat;
  /** The top-level key holding the users array, for JSON exports wrapped in an object. */
  jsonKey?: string;
  /** The export may hold `//` and `/* *\/` comments (files written for Newtonsoft.Json). */
  jsonComments?: boolean;
  mapping: RecordMappingOptions;
  matchEmail?: boolean;
  normalization?: UsernameNormalizationOptions;
  /**
   * Derives fields a mapping cannot express (an id in one of two shapes, a name that falls back to the
   * email). It runs on each record before the store keeps the mapped fields, so the fields it adds are
   * mapped like any other.
   */
  transformRecord?: (record: Row) => Row;
  /**
   * Records sharing a subject id are one user's, from two exports concatenated into one file (Auth0's user
   * export job and its password-hash export): their mapped fields are merged, in either order; a field both
   * records have with different values refuses the file. Without it, such records are two users (counted in
   * `stats.duplicateSubjectIds`).
   */
  mergeBySubjectId?: boolean;
}

/** A preset as the built-in table lists it: its name, its options schema and the function that builds it. */
export interface FilePresetDefinition<S extends z.ZodType<Record<string, unknown>> = z.ZodType<Record<string, unknown>>> {
  name: string;
  /** One line for `filePresetNames()` users and the docs: which export it reads. */
  summary: string;
  options: S;
  build: (options: z.output<S>) => FilePresetParts;
}

/** Keeps the option types of one definition checked against its build function. */
export function defineFilePreset<S extends z.ZodType<Record<string, unknown>>>(definition: FilePresetDefinition<S>): FilePresetDefinition {
  return definition;
}
