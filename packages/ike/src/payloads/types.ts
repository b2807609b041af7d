/**
 * The payloads of an IKEv2 message (RFC 7296 section 3.2 - 3.16, RFC 7383 section 2.5) as plain
 * records, discriminated by `kind` (the RFC's notation). Every record keeps what is needed to
 * encode it back to the same bytes; reserved fields are sent as zero and ignored on receipt.
 */
import type { Ip } from '@mip6sec/core';

interface PayloadBase {
  /** The Critical bit as received (RFC 7296 section 3.2); senders leave it clear on known payloads. */
  readonly critical?: boolean;
}

/** A transform attribute: TV (`value`, 16 bits) or TLV (`data`). */
export type TransformAttribute =
  | { readonly type: number; readonly value: number }
  | { readonly type: number; readonly data: Uint8Array };

export interface Transform {
  readonly type: number;
  readonly id: number;
  readonly attributes?: readonly TransformAttribute[];
}

export interface Proposal {
  /** Proposal Num: 1, 2, ... in a request; the responder echoes the one it chose. */
  readonly num: number;
  readonly protocol: number;
  /** Empty in IKE_SA_INIT, 8 bytes for an IKE rekey, 4 for ESP/AH (the sender's inbound SPI). */
  readonly spi: Uint8Array;
  readonly transforms: readonly Transform[];
}

export interface SaPayload extends PayloadBase {
  readonly kind: 'SA';
  readonly proposals: readonly Proposal[];
}

export interface KePayload extends PayloadBase {
  readonly kind: 'KE';
  readonly group: number;
  readonly data: Uint8Array;
}

export interface IdPayload extends PayloadBase {
  readonly kind: 'IDi' | 'IDr';
  readonly idType: number;
  readonly data: Uint8Array;
}

export interface CertPayload extends PayloadBase {
  readonly kind: 'CERT' | 'CERTREQ';
  readonly encoding: number;
  readonly data: Uint8Array;
}

export interface AuthPayload extends PayloadBase {
  readonly kind: 'AUTH';
  readonly method: number;
  readonly data: Uint8Array;
}

export interface NoncePayload extends PayloadBase {
  readonly kind: 'NONCE';
  readonly data: Uint8Array;
}

export interface NotifyPayload extends PayloadBase {
  readonly kind: 'N';
  readonly protocol: number;
  readonly spi: Uint8Array;
  readonly notify: number;
  readonly data: Uint8Array;
}

export interface DeletePayload extends PayloadBase {
  readonly kind: 'D';
  readonly protocol: number;
  readonly spiSize: number;
  readonly spis: readonly Uint8Array[];
}

export interface VendorPayload extends PayloadBase {
  readonly kind: 'V';
  readonly data: Uint8Array;
}

/** TS_IPV4_ADDR_RANGE / TS_IPV6_ADDR_RANGE (RFC 7296 section 3.13.1). */
export interface AddressRangeSelector {
  readonly tsType: 7 | 8;
  /** IP protocol, 0 = any. */
  readonly ipProto: number;
  readonly startPort: number;
  readonly endPort: number;
  readonly start: Ip;
  readonly end: Ip;
}

/** A selector of a type this codec does not interpret, kept as its bytes after the 4-byte header. */
export interface OpaqueSelector {
  readonly tsType: number;
  readonly ipProto: number;
  readonly data: Uint8Array;
}

export type TrafficSelector = AddressRangeSelector | OpaqueSelector;

export interface TsPayload extends PayloadBase {
  readonly kind: 'TSi' | 'TSr';
  readonly selectors: readonly TrafficSelector[];
}

/** The Encrypted payload as it sits on the wire: IV, ciphertext and ICV, still sealed. */
export interface SkPayload extends PayloadBase {
  readonly kind: 'SK';
  /** Type of the first payload inside (the SK header's Next Payload field). */
  readonly firstPayload: number;
  readonly data: Uint8Array;
}

/** One fragment of an Encrypted payload (RFC 7383 section 2.5). */
export interface SkfPayload extends PayloadBase {
  readonly kind: 'SKF';
  /** Next Payload: the first inner payload in fragment 1, 0 in the others. */
  readonly firstPayload: number;
  readonly fragment: number;
  readonly total: number;
  readonly data: Uint8Array;
}

export interface CfgAttribute {
  readonly type: number;
  readonly value: Uint8Array;
}

export interface CpPayload extends PayloadBase {
  readonly kind: 'CP';
  readonly cfgType: number;
  readonly attributes: readonly CfgAttribute[];
}

export interface EapPayload extends PayloadBase {
  readonly kind: 'EAP';
  readonly data: Uint8Array;
}

/** A payload type this implementation does not know; skipped unless critical. */
export interface UnknownPayload extends PayloadBase {
  readonly kind: 'UNKNOWN';
  readonly type: number;
  readonly data: Uint8Array;
}

export type Payload =
  | SaPayload
  | KePayload
  | IdPayload
  | CertPayload
  | AuthPayload
  | NoncePayload
  | NotifyPayload
  | DeletePayload
  | VendorPayload
  | TsPayload
  | SkPayload
  | SkfPayload
  | CpPayload
  | EapPayload
  | UnknownPayload;

export type PayloadKind = Payload['kind'];
/** The record of one kind (IDi picks the ID payload, narrowed to kind 'IDi'). */
export type PayloadOf<K extends PayloadKind> = Payload extends infer P
  ? P extends { readonly kind: infer Q }
    ? K extends Q
      ? P & { readonly kind: K }
      : never
    : never
  : never;
