/**
 * The octets an AUTH payload covers (RFC 7296 section 2.15):
 * InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI, with
 * MACedIDForI = prf(SK_pi, RestOfInitIDPayload), and the mirror image for the responder.
 * RealMessage is the IKE_SA_INIT message as sent, without the non-ESP marker.
 */
import { concat } from '../bytes.js';
import { encodeId } from '../payloads/id.js';
import type { IdPayload } from '../payloads/types.js';

export function signedOctets(
  prf: (key: Uint8Array, data: Uint8Array) => Uint8Array,
  realMessage: Uint8Array,
  peerNonce: Uint8Array,
  skP: Uint8Array,
  id: Pick<IdPayload, 'idType' | 'data'>,
): Uint8Array {
  return concat(realMessage, peerNonce, prf(skP, encodeId(id)));
}
