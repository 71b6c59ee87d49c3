// legacy-idp/file: a user store over export files (JSON Lines, JSON arrays, CSV), with presets for the
// exports of Auth0, Firebase Authentication and the Azure AD B2C pre-migration sample, and the streaming
// readers it is built on.
export { fileStoreSchema, fileUserStore } from './file-store.js';
export type { FileStoreOptions, FileStoreStats, FileUserStore } from './file-store.js';
export { filePresetNames, filePresetSchema, resolveFilePreset } from './presets.js';
export type { FilePresetOption } from './presets.js';
export { fileFormats } from './preset-definition.js';
export type { FileFormat, FilePresetDefinition, FilePresetParts } from './preset-definition.js';
export { readJsonLines } from './parsers/jsonl.js';
export { readJsonArray } from './parsers/json-array.js';
export type { JsonArrayReaderOptions } from './parsers/json-array.js';
export { readCsv } from './parsers/csv.js';
export type { CsvReaderOptions, CsvRecord } from './parsers/csv.js';
export { defaultMaxRecordBytes } from './parsers/input.js';
export type { FileRecord, RecordFileInput, RecordReaderMetrics, RecordReaderOptions } from './parsers/input.js';
export { accountStateOf, mapRecord, recordMappingSchema, stateRuleSchema, textOf, valueAt } from '../record/mapping.js';
export type { AccountState, LegacyRecord, RecordMapping, RecordMappingOptions, Row, StateRule } from '../record/mapping.js';
