// `npm start`: the main job on the embedded default. Installs and builds on a fresh clone, then runs the
// CLI; with no arguments it starts the JIT endpoint (`legacy-idp serve`) on the bundled demo users and
// in-memory lockout, and prints ready-to-paste curl lines. Other arguments go to the CLI as they are.
import { ensureBuild, ensureDependencies, run } from './bootstrap.mjs';

ensureDependencies('legacy-idp');
ensureBuild('legacy-idp');
const args = process.argv.slice(2);
process.exit(run(process.execPath, ['dist/cli/main.js', ...(args.length > 0 ? args : ['serve'])]));
