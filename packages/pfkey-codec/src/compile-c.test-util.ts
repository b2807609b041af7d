/**
 * Compiles one of the C programs in ../test-c with gcc into a temporary directory and runs it. Used by
 * the layout and message tests. When gcc or the Linux UAPI headers are missing, `runC` says why instead of
 * throwing; `requireC` then fails the test under CI (CI=true) and skips it with that reason elsewhere.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type CRun = { ok: true; stdout: string } | { ok: false; reason: string };

export function runC(name: string): CRun {
  const source = fileURLToPath(new URL(`../test-c/${name}`, import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'pfkey-codec-c-'));
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
    return { ok: true, stdout: run.stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const inCi = (): boolean => {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false';
};

/** The program's output; under CI a failed build fails the test, elsewhere the test is skipped with the reason. */
export function requireC(run: CRun, skip: (note: string) => never): string {
  if (run.ok) return run.stdout;
  if (inCi()) throw new Error(`C check unavailable under CI: ${run.reason}`);
  return skip(run.reason);
}
