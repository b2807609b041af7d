/**
 * Compiles one of the C programs in ../test-c with gcc against the Linux UAPI headers into a temporary
 * directory and runs it. When gcc or the headers are missing, `runC` says why instead of throwing;
 * `requireAvailable` then fails the test under CI (CI=true) and skips it with that reason elsewhere. (The
 * same convention as @mip6sec/pfkey-codec's C checks; test utilities are not part of a package's API.)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Available<T> = { ok: true; value: T } | { ok: false; reason: string };

export function runC(name: string): Available<string> {
  const source = fileURLToPath(new URL(`../test-c/${name}`, import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'kernel-sim-c-'));
  try {
    const exe = join(dir, 'prog');
    const cc = spawnSync('gcc', ['-std=gnu11', '-Wall', '-Wextra', '-Werror', '-o', exe, source], {
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
