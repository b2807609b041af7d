/**
 * @module
 * The one error type of this codec. A message Linux would refuse, or a model that cannot be written, raises a
 * `PfkeyError` carrying the errno Linux would answer with, the byte offset of the offending field and a
 * one-line reason. Its `message` reads `EINVAL at byte 52: sadb_address_prefixlen 33 exceeds 32 for AF_INET`.
 */

import { ERRNO, type ErrnoName } from './errno.js';

export class PfkeyError extends Error {
  /** errno name Linux would answer with (EINVAL, EMSGSIZE, EOPNOTSUPP, ELOOP...). */
  readonly code: ErrnoName;
  /** Byte offset of the offending field, from the start of the buffer given to decode (or of the message being encoded). */
  readonly offset: number;
  /** One line saying what is wrong, without the code and offset. */
  readonly reason: string;

  constructor(code: ErrnoName, offset: number, reason: string) {
    super(`${code} at byte ${offset}: ${reason}`);
    this.name = 'PfkeyError';
    this.code = code;
    this.offset = offset;
    this.reason = reason;
  }

  /** Numeric errno, as it would travel in `sadb_msg_errno` of the kernel's error reply. */
  get errno(): number {
    return ERRNO[this.code];
  }

  /** The same error moved by `delta` bytes (used when a message sits inside a larger buffer). */
  shifted(delta: number): PfkeyError {
    return delta === 0 ? this : new PfkeyError(this.code, this.offset + delta, this.reason);
  }
}

/** Throws EINVAL at `offset`. Kept as a function so call sites stay one line. */
export function invalid(offset: number, reason: string): never {
  throw new PfkeyError('EINVAL', offset, reason);
}
