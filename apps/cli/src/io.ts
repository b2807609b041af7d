/**
 * Input and output conventions shared by every verb: hex or JSON from an argument or stdin, JSON
 * on stdout, and one `error: ...` line on stderr with exit status 1 for bad input.
 */

import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';

/** An input error reported as `error: CODE at byte N: reason`. */
export class InputError extends Error {
  readonly code: string;
  readonly offset: number | undefined;
  constructor(code: string, reason: string, offset?: number) {
    super(offset === undefined ? `${code}: ${reason}` : `${code} at byte ${offset}: ${reason}`);
    this.code = code;
    this.offset = offset;
  }
}

/** The argument, or all of stdin when the argument is absent or `-`. */
export async function argOrStdin(arg: string | undefined): Promise<string> {
  if (arg !== undefined && arg !== '-') return arg;
  if (process.stdin.isTTY) throw new InputError('EINVAL', 'no input: pass it as an argument or on stdin');
  // Streamed rather than read with readFileSync(0): a pipe whose writer is still starting
  // answers EAGAIN to a synchronous read.
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The lines of a file, or of stdin when the name is absent or `-`, as they arrive: a script can be
 * piped in and its results read while it is still being written. A file that cannot be opened fails
 * here, before any line is read.
 */
export async function fileOrStdinLines(file: string | undefined): Promise<AsyncIterable<string>> {
  let input: NodeJS.ReadableStream;
  if (file !== undefined && file !== '-') input = (await open(file)).createReadStream();
  else if (process.stdin.isTTY) throw new InputError('EINVAL', 'no input: pass a file or a script on stdin');
  else input = process.stdin;
  return createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
}

/** Parses hex allowing whitespace anywhere and an optional `0x` prefix. */
export function parseHex(text: string): Uint8Array {
  let s = text.replace(/\s+/g, '');
  if (s.startsWith('0x') || s.startsWith('0X')) s = s.slice(2);
  if (s.length === 0) throw new InputError('EINVAL', 'empty input', 0);
  const bad = s.search(/[^0-9a-fA-F]/);
  if (bad >= 0) throw new InputError('EINVAL', `not a hex digit: ${JSON.stringify(s[bad])}`, bad >> 1);
  if (s.length % 2 !== 0) throw new InputError('EINVAL', 'odd number of hex digits', s.length >> 1);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(s.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec(String(e));
    throw new InputError('EINVAL', `not JSON: ${(e as Error).message}`, m ? Number(m[1]) : undefined);
  }
}

/** JSON with bigint as decimal strings and bytes as hex. */
export function stringify(value: unknown, pretty = true): string {
  return JSON.stringify(
    value,
    (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? toHex(v) : v),
    pretty ? 2 : undefined,
  );
}

/** Renders any error as the one-line form; typed errors with code/offset keep them. */
export function errorLine(e: unknown): string {
  if (e instanceof InputError) return `error: ${e.message}`;
  if (e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'string') {
    const err = e as { code: string; offset?: unknown; reason?: unknown; message?: string };
    if (typeof err.offset === 'number' && typeof err.reason === 'string') {
      return `error: ${err.code} at byte ${err.offset}: ${err.reason}`;
    }
    const msg = err.message ?? '';
    return `error: ${msg.startsWith(err.code) ? msg : `${err.code}: ${msg}`}`;
  }
  return `error: ${e instanceof Error ? e.message : String(e)}`;
}

/** Runs a verb body, turning any failure into the one-line error and exit status 1. */
export async function run(body: () => unknown): Promise<void> {
  // A reader that goes away early (`| head`) is not an error of ours.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  try {
    await body();
  } catch (e) {
    process.stderr.write(`${errorLine(e).split('\n')[0]}\n`);
    process.exitCode = 1;
  }
}
