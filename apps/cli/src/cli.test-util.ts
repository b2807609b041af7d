/**
 * Runs the built `mip6sec` (apps/cli/dist/main.js, built once by build.test-util.ts before any test file)
 * as a subprocess, alone or inside a real shell pipeline, and checks the one-line error convention.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = fileURLToPath(new URL('../dist/main.js', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `node dist/main.js ...args`, with `input` on stdin (an empty stdin when absent). */
export function cli(args: readonly string[], input = ''): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A bash script in which `mip6sec` is the built CLI, with pipefail so a failure anywhere in a pipeline
 * shows in the status. Values go in through the environment or stdin, never spliced into the script.
 */
export function shell(script: string, env: Record<string, string> = {}, input = ''): CliResult {
  const r = spawnSync('bash', ['-c', `set -o pipefail\nmip6sec() { "$NODE" "$CLI" "$@"; }\n${script}`], {
    input,
    encoding: 'utf8',
    env: { ...process.env, ...env, NODE: process.execPath, CLI },
    timeout: 30_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `error: CODE at byte N: reason`, the form every error located in input bytes takes. */
export const BYTE_ERROR = /^error: [A-Z]+ at byte \d+: .+$/;

/** The CLI's error contract: status 1, nothing on stdout, exactly one `error: ...` line, no stack trace. */
export function expectInputError(r: CliResult, line: RegExp = BYTE_ERROR, code?: string): void {
  expect(r.status).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).not.toMatch(/^\s+at /m);
  const lines = r.stderr.split('\n');
  expect(lines.at(-1)).toBe('');
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(line);
  if (code !== undefined) expect(lines[0]).toMatch(new RegExp(`^error: ${code} `));
}

/** Lines of JSON, parsed. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
