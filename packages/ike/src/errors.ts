/**
 * The error type of the IKE package. Protocol failures carry the notify name RFC 7296 section
 * 3.10.1 gives them (INVALID_SYNTAX, UNSUPPORTED_CRITICAL_PAYLOAD, NO_PROPOSAL_CHOSEN, ...) so the
 * daemon can answer with exactly that notify; configuration mistakes carry EINVAL.
 */
import { Mip6secError } from '@mip6sec/core';
import type { NotifyName } from './constants.js';

export type IkeErrorCode = NotifyName | 'EINVAL' | 'EBADMSG' | 'ETIMEDOUT' | 'ECANCELED' | 'ENOENT';

export class IkeError extends Mip6secError {
  declare readonly code: IkeErrorCode;
  /** Byte offset in the message where decoding failed, when the failure is a decoding one. */
  readonly offset: number | undefined;
  /** Notification data to send with the notify (e.g. the payload type for UNSUPPORTED_CRITICAL_PAYLOAD). */
  readonly notifyData: Uint8Array | undefined;

  constructor(
    code: IkeErrorCode,
    message: string,
    options?: { offset?: number; notifyData?: Uint8Array; cause?: unknown },
  ) {
    super(
      code,
      options?.offset === undefined ? message : `${message} (at offset ${options.offset})`,
      options,
    );
    this.offset = options?.offset;
    this.notifyData = options?.notifyData;
  }
}

/** Shorthand for the decoding failure every malformed field produces. */
export function syntaxError(message: string, offset: number): IkeError {
  return new IkeError('INVALID_SYNTAX', message, { offset });
}
