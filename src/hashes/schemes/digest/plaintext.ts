import type { HashScheme } from '../../types.js';
import { rawPasswordScheme } from './raw-password.js';

export const plaintext: HashScheme = rawPasswordScheme({
  id: 'plaintext',
  family: 'plaintext',
  summary: 'Password stored in clear (still seen in old applications)',
  source: 'passlib plaintext',
});
