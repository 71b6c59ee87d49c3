// legacy-idp/sql: user stores over SQL Server, PostgreSQL, MySQL/MariaDB and SQLite tables. Each driver is an
// optional peer, loaded only by the dialect that needs it.
export { sqlStoreSchema, sqlUserStore } from './sql-store.js';
export type { SqlStoreOptions } from './sql-store.js';
export { defineSqlPreset, registerSqlPreset, resolveSqlPreset, sqlPresetNames } from './presets.js';
export type { SqlPresetDefinition, SqlPresetParts } from './presets.js';
export { checkIdentifier, sqlDialects } from './dialect.js';
export type { SqlConnection, SqlDialectName } from './dialect.js';
export { accountStateOf, mapRecord, recordMappingSchema, stateRuleSchema, textOf, valueAt } from '../record/mapping.js';
export type { AccountState, LegacyRecord, RecordMapping, RecordMappingOptions, Row, StateRule } from '../record/mapping.js';
export type { RecordStoreStats, RecordUserStore } from '../record/record-store.js';
