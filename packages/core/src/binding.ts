/**
 * Mobile IPv6 bindings (RFC 6275 9.1 binding cache, 11.1 binding update list).
 */
import type { Ip } from './address.js';

export interface Binding {
  readonly hoa: Ip;
  /** Current care-of address; equals `hoa` when the MN is at home. */
  readonly coa: Ip;
  readonly ha: Ip;
  /** Lifetime in seconds as granted. */
  readonly lifetime: number;
  readonly seq: number;
  /** Key Management Mobility Capability (K bit) agreed by both ends. */
  readonly kBit: boolean;
}

/** Who a security gateway believes owns a home address (RFC 4877 PAD entry / RFC 5026 assignment). */
export interface HomeAddressAuthorization {
  readonly identity: string;
  readonly hoa: Ip;
}
