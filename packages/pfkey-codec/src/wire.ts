/**
 * @module
 * Shared byte-level helpers for the extension codecs: the reader/writer pair (one DataView per message, made
 * once), checks that reserved bytes are zero, and range checks for values the encoder is asked to write.
 * Integers are little-endian (Linux/x86_64 host order, RFC 2367 §2.2 says host order) unless a caller asks
 * for network order explicitly.
 */

import { invalid, PfkeyError } from './pfkey-error.js';

/** The buffer being decoded or encoded, with one DataView over exactly its bytes. */
export interface Cursor {
  readonly bytes: Uint8Array;
  readonly dv: DataView;
}

export function cursor(bytes: Uint8Array): Cursor {
  return { bytes, dv: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

/** EINVAL at the first non-zero byte of [from, to), naming the field. */
export function requireZero(c: Cursor, from: number, to: number, field: string): void {
  const b = c.bytes;
  for (let i = from; i < to; i++) {
    if (b[i] !== 0)
      invalid(
        i,
        `${field} must be zero (RFC 2367 reserved/padding), found 0x${(b[i] as number).toString(16)}`,
      );
  }
}

function checkInt(value: unknown, max: number, offset: number, field: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new PfkeyError('EINVAL', offset, `${field} must be an integer in 0..${max}, got ${String(value)}`);
  }
}

export function checkU8(value: unknown, offset: number, field: string): void {
  checkInt(value, 0xff, offset, field);
}

export function checkU16(value: unknown, offset: number, field: string): void {
  checkInt(value, 0xffff, offset, field);
}

export function checkU32(value: unknown, offset: number, field: string): void {
  checkInt(value, 0xffffffff, offset, field);
}

const U64_MAX = (1n << 64n) - 1n;

export function checkU64(value: unknown, offset: number, field: string): void {
  if (typeof value !== 'bigint' || value < 0n || value > U64_MAX) {
    throw new PfkeyError('EINVAL', offset, `${field} must be a bigint in 0..2^64-1, got ${String(value)}`);
  }
}

export function checkBytes(value: unknown, offset: number, field: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) invalid(offset, `${field} must be a Uint8Array`);
}
