/**
 * Security associations, in the identity-plus-data shape the kernel contract uses (the identity
 * is what the kernel looks an SA up by: destination, SPI, protocol, and the source it was made for).
 */
import type { Ip } from './address.js';
import type { IpsecMode, IpsecProto } from './policy.js';
import type { Selector } from './selector.js';

export interface SaId {
  readonly src: Ip;
  readonly dst: Ip;
  /** SPI as an unsigned 32-bit number. */
  readonly spi: number;
  readonly proto: Exclude<IpsecProto, 'ipcomp'>;
}

/** Encryption transforms, named as in IKEv2/strongSwan. AEADs carry their salt at the end of the key. */
export type EncAlgorithm = 'null' | 'aes-cbc' | 'aes-gcm-16' | 'chacha20-poly1305';
/** Integrity transforms with the IPsec truncations (RFC 2404, 4868, 3566). */
export type IntegAlgorithm =
  | 'none'
  | 'hmac-sha1-96'
  | 'hmac-sha2-256-128'
  | 'hmac-sha2-384-192'
  | 'hmac-sha2-512-256'
  | 'aes-xcbc-96';

export interface LifetimeLimits {
  /** Seconds since creation; 0 = none. */
  readonly addSeconds: number;
  readonly bytes: number;
  readonly packets: number;
}

export interface UdpEncap {
  readonly sport: number;
  readonly dport: number;
  /** NAT original address, if known. */
  readonly oa?: Ip;
}

export type SaState = 'larval' | 'mature' | 'dying' | 'dead';

export interface SaData {
  readonly mode: IpsecMode;
  readonly reqid: number;
  readonly enc: { readonly alg: EncAlgorithm; readonly key: Uint8Array };
  readonly integ?: { readonly alg: IntegAlgorithm; readonly key: Uint8Array };
  /** Anti-replay window in packets (0 disables the check). */
  readonly replayWindow: number;
  readonly esn?: boolean;
  readonly soft?: LifetimeLimits;
  readonly hard?: LifetimeLimits;
  readonly encap?: UdpEncap;
  /** Inner traffic the SA may carry (checked on input). */
  readonly selector?: Selector;
}

/** Changes an SA in place: MOBIKE and MIGRATE move endpoints without rekeying. */
export interface SaUpdate {
  readonly newSrc?: Ip;
  readonly newDst?: Ip;
  readonly encap?: UdpEncap | null;
}

export interface SaCounters {
  readonly bytes: number;
  readonly packets: number;
  readonly addTime: number;
  readonly useTime?: number;
  readonly seq: number;
}

export interface SecurityAssociation extends SaId, SaData {
  readonly state: SaState;
  readonly current: SaCounters;
}

export function saKey(id: SaId): string {
  return `${id.proto}:${id.dst}:${(id.spi >>> 0).toString(16).padStart(8, '0')}`;
}
