import type { HashScheme } from '../../types.js';
import { mssql2000 } from './mssql2000.js';
import { mssql2005 } from './mssql2005.js';
import { mssql2012 } from './mssql2012.js';
import { mysql323 } from './mysql323.js';
import { mysql41 } from './mysql41.js';
import { oracle10 } from './oracle10.js';
import { oracle11 } from './oracle11.js';
import { postgresMd5 } from './postgres-md5.js';

/**
 * The database family, in identify order. One file per scheme in this folder. mssql2000 and mssql2005
 * share the 0x0100 prefix and differ in length; mysql323 and oracle10 are bare hex and have no identify.
 */
export const databaseSchemes: readonly HashScheme[] = [mysql41, postgresMd5, mssql2000, mssql2005, mssql2012, oracle11, mysql323, oracle10];
