/**
 * An exchange this end starts: a request to build and a response to handle. The daemon runs an
 * IKE SA's tasks in order, one at a time unless tasks are `concurrent` and both windows are above
 * 1 (RFC 7296 section 2.3), numbers and protects the request, retransmits it and matches the
 * response.
 */
import type { Datagram } from '@mip6sec/core';
import type { IkeError } from '../errors.js';
import type { IkeSa } from '../ike-sa.js';
import type { Payload } from '../payloads/types.js';

export interface ExchangeTask {
  readonly exchange: number;
  /** Sent unprotected (IKE_SA_INIT). */
  readonly plain?: boolean;
  /**
   * May be in flight next to other concurrent requests when the window allows (CHILD_SA work,
   * deletes of CHILD_SAs, liveness checks). Exchanges that change the IKE SA itself (IKE_AUTH,
   * IKE rekey, Delete of the IKE SA, MOBIKE moves) leave it unset and run alone.
   */
  readonly concurrent?: boolean;
  /** Payloads of the request; undefined when the task has nothing left to do. */
  build(sa: IkeSa): Promise<Payload[] | undefined>;
  /**
   * Handles the (decrypted) response. 'retry' sends a rebuilt request with the same Message ID
   * (IKE_SA_INIT after COOKIE or INVALID_KE_PAYLOAD).
   */
  handle(
    sa: IkeSa,
    payloads: readonly Payload[],
    raw: Uint8Array,
    dgram: Datagram,
  ): Promise<undefined | 'retry'>;
  /** The exchange failed: no response in time, a bad response, or the IKE SA went away. */
  fail(sa: IkeSa, error: IkeError): void;
}
