/**
 * Test support shared by the packages whose tests build C programs against the Linux UAPI headers
 * (pfkey-codec's layout and message checks, kernel-sim's replay script). It lives outside every
 * package because it is no package's API: tests import it by relative path, as they do
 * vitest.shared.ts. `runC` compiles one program with gcc into a temporary directory and runs it;
 * when gcc or the headers are missing it says why instead of throwing, and `requireAvailable` then
 * fails the test under CI (CI=true) and skips it with that reason elsewhere.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Available<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Compiles the C program at `source` (strict warnings) and runs it: its standard output, or why not. */
export function runC(source: URL): Available<string> {
  const path = fileURLToPath(source);
  const name = basename(path);
  const dir = mkdtempSync(join(tmpdir(), 'mip6sec-c-'));
  try {
    const exe = join(dir, 'prog');
    const cc = spawnSync('gcc', ['-std=gnu11', '-Wall', '-Wextra', '-Werror', '-o', exe, path], {
      encoding: 'utf8',
    });
    if (cc.error)
      return {
        ok: false,
        reason: `gcc could not be run (${cc.error.message}); install gcc and linux-libc-dev`,
      };
    if (cc.status !== 0) {
      const missing = /fatal error: ([^\s:]+): No such file/.exec(cc.stderr);
      return {
        ok: false,
        reason: missing
          ? `${missing[1]} is missing; install linux-libc-dev`
          : `gcc failed on ${name}: ${cc.stderr.trim()}`,
      };
    }
    const run = spawnSync(exe, [], { encoding: 'utf8' });
    if (run.status !== 0) return { ok: false, reason: `${name} exited with ${run.status}: ${run.stderr}` };
    return { ok: true, value: run.stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function inCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false';
}

/** The value; under CI a missing prerequisite fails the test, elsewhere the test is skipped with the reason. */
export function requireAvailable<T>(a: Available<T>, skip: (note: string) => never): T {
  if (a.ok) return a.value;
  if (inCi()) throw new Error(`unavailable under CI: ${a.reason}`);
  return skip(a.reason);
}
