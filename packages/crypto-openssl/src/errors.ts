/**
 * The error type of this package. `code` says what kind of refusal it is: EINVAL for anything the
 * caller got wrong (a key, nonce or salt of the wrong size, offsets outside the buffer, a disposed
 * context), ENOSYS when the addon is not available (its reason is in the message), EIO when libcrypto
 * itself failed. A tag that does not verify is no error: `open` returns false.
 */
import { Mip6secError } from '@mip6sec/core';

export type OpensslErrorCode = 'EINVAL' | 'ENOSYS' | 'EIO';

export class OpensslError extends Mip6secError {
  declare readonly code: OpensslErrorCode;
  constructor(code: OpensslErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** The addon throws plain Errors with a `code`; this gives them the package's type. */
export function fromAddon(e: unknown): OpensslError {
  if (e instanceof OpensslError) return e;
  const code = (e as { code?: unknown })?.code;
  const message = e instanceof Error ? e.message : String(e);
  // Argument checks inside V8 itself (a non-number offset) arrive as TypeErrors without our codes.
  return new OpensslError(code === 'EIO' ? 'EIO' : 'EINVAL', message, { cause: e });
}
