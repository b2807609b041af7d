/**
 * The one error type of this package. `code` says which kind of refusal it is, so IKE and ESP can
 * branch on it: EBADMSG when an AEAD tag does not verify (drop the packet, count it), EINVAL for
 * anything the caller or the peer got wrong (a key or nonce of the wrong size, data that is not
 * whole blocks, a DH public value that is not a valid group element), ENOSYS when the native
 * provider (or its OpenSSL addon engine) is asked for where it is not available, and EIO when the
 * cipher library itself failed.
 */
import { Mip6secError } from '@mip6sec/core';

export type CryptoErrorCode = 'EBADMSG' | 'EINVAL' | 'ENOSYS' | 'EIO';

export class CryptoError extends Mip6secError {
  declare readonly code: CryptoErrorCode;
  constructor(code: CryptoErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
