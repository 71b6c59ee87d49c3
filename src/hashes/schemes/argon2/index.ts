import type { HashScheme } from '../../types.js';
import { argon2 } from './argon2.js';
import { argon2d } from './argon2d.js';
import { argon2i } from './argon2i.js';
import { argon2id } from './argon2id.js';
import { djangoArgon2 } from './django-argon2.js';

/** The argon2 family, in identify order: the type-specific ids before passlib's generic `argon2`. */
export const argon2Schemes: readonly HashScheme[] = [argon2id, argon2i, argon2d, argon2, djangoArgon2];
