/**
 * The IKE message: the 28-octet header (RFC 7296 section 3.1) and the payload chain after it.
 * Decoding checks the version and the Length field before touching a payload; the Encrypted
 * payload stays sealed here (see crypto/sk-cipher.ts).
 */

import { dataView } from './bytes.js';
import { FLAG_INITIATOR, FLAG_RESPONSE, FLAG_VERSION, IKE_HEADER_LENGTH, IKE_VERSION } from './constants.js';
import { IkeError, syntaxError } from './errors.js';
import { decodePayloads, encodePayloads } from './payloads/chain.js';
import type { Payload } from './payloads/types.js';

export interface IkeHeader {
  readonly spiI: bigint;
  readonly spiR: bigint;
  readonly nextPayload: number;
  /** MjVer in the high nibble, MnVer in the low one. */
  readonly version: number;
  readonly exchange: number;
  readonly flags: number;
  readonly messageId: number;
  readonly length: number;
}

/** A message as the daemon builds and reads it. */
export interface IkeMessage {
  readonly spiI: bigint;
  readonly spiR: bigint;
  readonly exchange: number;
  /** R flag: this is a response. */
  readonly response: boolean;
  /** I flag: sent by the original initiator of the IKE SA (not "the requester"). */
  readonly initiator: boolean;
  /** V flag (higher version supported); always clear from us. */
  readonly higherVersion?: boolean;
  /** Minor version as received (0 from us). */
  readonly minorVersion?: number;
  readonly messageId: number;
  readonly payloads: readonly Payload[];
}

/**
 * Reads and checks the header. A major version other than 2 is INVALID_MAJOR_VERSION; a Length
 * field that disagrees with the datagram is INVALID_SYNTAX.
 */
export function decodeHeader(bytes: Uint8Array): IkeHeader {
  if (bytes.length < IKE_HEADER_LENGTH)
    throw syntaxError(`message of ${bytes.length} bytes has no IKE header`, 0);
  const v = dataView(bytes);
  const version = bytes[17]!;
  if (version >> 4 !== IKE_VERSION >> 4) {
    throw new IkeError('INVALID_MAJOR_VERSION', `IKE major version ${version >> 4}`, { offset: 17 });
  }
  const length = v.getUint32(24);
  if (length !== bytes.length)
    throw syntaxError(`Length field ${length} but ${bytes.length} bytes received`, 24);
  return {
    spiI: v.getBigUint64(0),
    spiR: v.getBigUint64(8),
    nextPayload: bytes[16]!,
    version,
    exchange: bytes[18]!,
    flags: bytes[19]!,
    messageId: v.getUint32(20),
    length,
  };
}

export function encodeHeader(h: IkeHeader): Uint8Array {
  const out = new Uint8Array(IKE_HEADER_LENGTH);
  const v = dataView(out);
  v.setBigUint64(0, BigInt.asUintN(64, h.spiI));
  v.setBigUint64(8, BigInt.asUintN(64, h.spiR));
  out[16] = h.nextPayload;
  out[17] = h.version;
  out[18] = h.exchange;
  out[19] = h.flags;
  v.setUint32(20, h.messageId >>> 0);
  v.setUint32(24, h.length >>> 0);
  return out;
}

/** Header fields of a message record, with `nextPayload` and `length` supplied by the encoder. */
export function headerOf(m: Omit<IkeMessage, 'payloads'>, nextPayload: number, length: number): IkeHeader {
  const flags =
    (m.response ? FLAG_RESPONSE : 0) |
    (m.initiator ? FLAG_INITIATOR : 0) |
    (m.higherVersion ? FLAG_VERSION : 0);
  return {
    spiI: m.spiI,
    spiR: m.spiR,
    nextPayload,
    version: IKE_VERSION | ((m.minorVersion ?? 0) & 0x0f),
    exchange: m.exchange,
    flags,
    messageId: m.messageId,
    length,
  };
}

export function messageFromHeader(h: IkeHeader, payloads: readonly Payload[]): IkeMessage {
  const m: IkeMessage = {
    spiI: h.spiI,
    spiR: h.spiR,
    exchange: h.exchange,
    response: (h.flags & FLAG_RESPONSE) !== 0,
    initiator: (h.flags & FLAG_INITIATOR) !== 0,
    messageId: h.messageId,
    payloads,
  };
  const minor = h.version & 0x0f;
  const extra = {
    ...(h.flags & FLAG_VERSION ? { higherVersion: true } : {}),
    ...(minor ? { minorVersion: minor } : {}),
  };
  return Object.keys(extra).length ? { ...m, ...extra } : m;
}

/** Decodes a whole message; an Encrypted payload is returned sealed, as the last payload. */
export function decodeMessage(bytes: Uint8Array): IkeMessage {
  const h = decodeHeader(bytes);
  return messageFromHeader(h, decodePayloads(bytes, IKE_HEADER_LENGTH, bytes.length, h.nextPayload));
}

export function encodeMessage(m: IkeMessage): Uint8Array {
  const { first, bytes } = encodePayloads(m.payloads);
  const out = new Uint8Array(IKE_HEADER_LENGTH + bytes.length);
  out.set(encodeHeader(headerOf(m, first, out.length)), 0);
  out.set(bytes, IKE_HEADER_LENGTH);
  return out;
}
