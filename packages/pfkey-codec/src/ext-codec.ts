/**
 * @module
 * The contract every extension codec meets, and the length rules they share. The generic walker
 * (`decode.ts`) has already checked the 4-byte `sadb_ext` header (RFC 2367 §2.3: length in 64-bit words,
 * including the header) and Linux's minimum length for the type; a codec reads the body, enforces the
 * canonical layout and returns the model. For encoding, `size` validates a model and says how many bytes
 * it takes (a multiple of 8, header included), `write` fills everything after the header into a zeroed
 * buffer.
 */

import type { PfkeyExtension } from './model.js';
import { invalid } from './pfkey-error.js';
import type { Cursor } from './wire.js';

export interface ExtCodec<E extends PfkeyExtension = PfkeyExtension> {
  /** Decodes the extension occupying [off, off + len); `type` is its wire type. */
  decode(c: Cursor, off: number, len: number, type: number): E;
  /** Checks `ext` (as if written at `off`) and returns its size in bytes, header included. */
  size(ext: E, off: number): number;
  /** Writes the body of a checked `ext` whose header starts at `off`. */
  write(c: Cursor, off: number, ext: E): void;
}

/**
 * Fixed-size extensions must be exactly their struct's size. Linux accepts longer ones and ignores the
 * surplus; this codec refuses them, because it could not give the surplus back on re-encoding.
 */
export function exactLength(len: number, size: number, off: number, struct: string): void {
  if (len !== size) {
    invalid(off, `${struct} length is ${len / 8} words; it must be exactly ${size / 8} (${size} bytes)`);
  }
}
