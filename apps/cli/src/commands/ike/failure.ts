/**
 * How a failed negotiation is reported: `error: NOTIFY: message`, with the IKE notify that caused
 * it (AUTHENTICATION_FAILED, NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE, ...) or an errno-style code.
 */
import { NOTIFY, NOTIFY_STATUS_MIN } from '@mip6sec/ike';

/** An `ike` verb's failure; io.ts prints it as `error: CODE: message`. */
export class IkeCommandError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'IkeCommandError';
    this.code = code;
  }
}

const ERROR_NOTIFIES = Object.entries(NOTIFY)
  .filter(([, type]) => type < NOTIFY_STATUS_MIN)
  .map(([name]) => name);

/**
 * The notify name (or errno code) behind a daemon error. The daemon rejects a failed initiation
 * with ECANCELED ("IKE SA deleted: <why>"), so the notify is looked for in the message when the
 * code is not one already.
 */
export function failureCode(e: unknown): string {
  const code = e && typeof e === 'object' && 'code' in e ? (e as { code: unknown }).code : undefined;
  if (typeof code === 'string' && code !== 'ECANCELED') return code;
  const message = e instanceof Error ? e.message : String(e);
  const named = ERROR_NOTIFIES.find((n) => new RegExp(`\\b${n}\\b`).test(message));
  if (named) return named;
  if (/\bno response to\b/.test(message)) return 'ETIMEDOUT';
  return typeof code === 'string' ? code : 'EIO';
}

/** The daemon error as the CLI reports it. */
export function asCommandError(e: unknown, context: string): IkeCommandError {
  const message = e instanceof Error ? e.message : String(e);
  return new IkeCommandError(failureCode(e), `${context}: ${message}`);
}
