/**
 * vitest globalSetup of the cli project: builds the CLI and the packages it imports (tsc -b follows
 * the project references, and does nothing when dist is current) once, before any test file runs. One
 * build for every file rather than a beforeAll in each, because test files run in parallel and two
 * builds writing the same dist would race.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './cli.test-util.js';

export function setup(): void {
  const tsc = join(ROOT, 'node_modules/.bin/tsc');
  const r = spawnSync(tsc, ['-b', 'apps/cli/tsconfig.lib.json'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
  });
  if (r.error) throw new Error(`could not run tsc to build the CLI: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`building the CLI failed:\n${r.stdout}${r.stderr}`);
}
