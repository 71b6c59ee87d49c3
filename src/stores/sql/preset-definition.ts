import type { z } from 'zod';
import type { UsernameNormalizationOptions } from '../../core/normalize.js';
import type { RecordMappingOptions, Row } from '../record/mapping.js';

/** What a preset sets for the SQL store; the store's own options override each part. */
export interface SqlPresetParts {
  name: string;
  table?: string;
  query?: string;
  where?: Record<string, string | number | boolean | null>;
  mapping: RecordMappingOptions;
  usernameMatch?: 'lower' | 'upper' | 'exact';
  matchEmail?: boolean;
  normalization?: UsernameNormalizationOptions;
  writeBack?: {
    table?: string;
    key?: string;
    migratedAtColumn?: string;
    migratedFlagColumn?: string;
    objectIdColumn?: string;
    hashColumn?: string;
    schemeColumn?: string;
  };
  /** Columns to read beyond the mapping's, for `transformRow` (checked and quoted like mapped columns). */
  extraColumns?: string[];
  /** Derives fields a mapping cannot express (a JSON column split into scheme input, a computed state). */
  transformRow?: (row: Row) => Row;
}

/** A preset as the built-in table lists it: its name, its options schema and the function that builds it. */
export interface SqlPresetDefinition<S extends z.ZodType<Record<string, unknown>> = z.ZodType<Record<string, unknown>>> {
  name: string;
  options: S;
  build: (options: z.output<S>) => SqlPresetParts;
}

/** Keeps the option types of one definition checked against its build function. */
export function defineSqlPreset<S extends z.ZodType<Record<string, unknown>>>(definition: SqlPresetDefinition<S>): SqlPresetDefinition {
  return definition;
}

