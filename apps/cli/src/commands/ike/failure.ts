/**
 * How a failed negotiation is reported: `error: NOTIFY: message`, with the IKE notify that caused
 * it (AUTHENTICATION_FAILED, NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE, ...) or an errno-style code.
 */

/** An `ike` verb's failure; io.ts prints it as `error: CODE: message`. */
export class IkeCommandError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'IkeCommandError';
    this.code = code;
  }
}

/**
 * The daemon error as the CLI reports it. The daemon's errors carry the notify that ended the
 * IKE SA (or ETIMEDOUT, EADDRINUSE, ...) as their code.
 */
export function asCommandError(e: unknown, context: string): IkeCommandError {
  const code = e && typeof e === 'object' && 'code' in e ? (e as { code: unknown }).code : undefined;
  const message = e instanceof Error ? e.message : String(e);
  return new IkeCommandError(typeof code === 'string' ? code : 'EIO', `${context}: ${message}`);
}
