/**
 * Running the external tools the interop harness drives (ip, openssl, swanctl, node in a namespace),
 * with a deadline and the whole output kept for error messages.
 */
import { spawn } from 'node:child_process';

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Killed with SIGKILL after this long; the default suits every quick tool call. */
  readonly timeoutMs?: number;
  /** Resolve with a non-zero exit code instead of rejecting. */
  readonly allowFailure?: boolean;
  readonly input?: string;
}

export interface RunResult {
  readonly argv: readonly string[];
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A command that failed, timed out or could not start; the message carries its output. */
export class CommandError extends Error {
  readonly code: 'ECMDFAIL' | 'ETIMEDOUT' | 'ENOENT';
  readonly result: RunResult | undefined;
  constructor(code: CommandError['code'], message: string, result?: RunResult) {
    super(message);
    this.name = 'CommandError';
    this.code = code;
    this.result = result;
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Joins argv for messages; arguments with spaces are quoted so a failing command can be pasted. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(' ');
}

function describeFailure(result: RunResult): string {
  const output = `${result.stderr}${result.stdout}`.trim();
  const how = result.signal ? `killed by ${result.signal}` : `exit code ${result.code}`;
  return `${formatArgv(result.argv)}: ${how}${output ? `\n${output}` : ''}`;
}

/** Runs argv to completion. Rejects with CommandError unless it exits 0 (or allowFailure is set). */
export function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new CommandError('ENOENT', 'run: empty argv'));
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new CommandError('ENOENT', `${formatArgv(argv)}: cannot start: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result: RunResult = { argv, code, signal, stdout, stderr };
      if (timedOut) {
        reject(new CommandError('ETIMEDOUT', `timed out: ${describeFailure(result)}`, result));
      } else if (code !== 0 && !options.allowFailure) {
        reject(new CommandError('ECMDFAIL', describeFailure(result), result));
      } else {
        resolve(result);
      }
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `probe` until it returns a value other than undefined. On timeout the error names `what`
 * and adds `explain()` (for example a daemon's log tail) so a failing test says why.
 */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs?: number; intervalMs?: number; explain?: () => Promise<string> } = {},
): Promise<T> {
  const deadline = performance.now() + (options.timeoutMs ?? 10_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (performance.now() >= deadline) break;
    await sleep(options.intervalMs ?? 100);
  }
  const detail = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
  const extra = options.explain ? `\n${await options.explain()}` : '';
  throw new CommandError('ETIMEDOUT', `timed out waiting for ${what}${detail}${extra}`);
}
