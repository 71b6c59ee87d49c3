// `npm start`: the main job on the embedded default. Installs and builds on a fresh clone, then runs the
// CLI; with no arguments it checks a demo user (password from standard input or a hidden prompt).
import { ensureBuild, ensureDependencies, run } from './bootstrap.mjs';

ensureDependencies('legacy-idp');
ensureBuild('legacy-idp');
const args = process.argv.slice(2);
process.exit(run(process.execPath, ['dist/cli/main.js', ...(args.length > 0 ? args : ['check-login', '--username', 'alice'])]));
