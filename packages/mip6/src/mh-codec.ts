/**
 * The Mobility Header (RFC 6275 §6.1): every message type of RFC 6275 with its options, the
 * checksum over the IPv6 pseudo-header, and byte-exact round trips (every reserved field is kept,
 * so `encodeMh(decodeMh(b))` equals `b` for every `b` the decoder accepts).
 *
 * A type this codec does not know decodes as `{ type: 'unknown', mhType, data }`, so a receiver
 * can still answer it with a Binding Error, status 2 (RFC 6275 §9.2).
 */
import { type Ip, ipFromBytes, ipToBytes } from '@mip6sec/core';
import { upperLayerChecksum, verifyUpperLayerChecksum } from './checksum.js';
import {
  IP6_MH_BA_KEYM,
  IP6_MH_BU_ACK,
  IP6_MH_BU_HOME,
  IP6_MH_BU_KEYM,
  IP6_MH_BU_LLOCAL,
  IP6_MH_TYPE_BACK,
  IP6_MH_TYPE_BERROR,
  IP6_MH_TYPE_BRR,
  IP6_MH_TYPE_BU,
  IP6_MH_TYPE_COT,
  IP6_MH_TYPE_COTI,
  IP6_MH_TYPE_HOT,
  IP6_MH_TYPE_HOTI,
  IPPROTO_NONE,
  MH_FIXED_LENGTH,
} from './mh-constants.js';
import { failAt, failPath } from './mh-error.js';
import {
  decodeMobilityOptions,
  layoutMobilityOptions,
  type MobilityOption,
  optionSize,
  validateMobilityOption,
  writeMobilityOption,
} from './mh-options.js';

/** Fields every Mobility Header has; optional ones default as RFC 6275 §6.1.1 says a sender sets them. */
interface MhCommon {
  /** Payload Proto; SHOULD be 59 (IPPROTO_NONE). Default 59. */
  readonly payloadProto?: number;
  /** The Reserved octet of the header (offset 3). Default 0. */
  readonly headerReserved?: number;
  /** The checksum as received; on encode, used only when no addresses are given to compute it. */
  readonly checksum?: number;
  /** Mobility options in wire order, padding included once decoded. */
  readonly options?: readonly MobilityOption[];
}

/** Binding Refresh Request (§6.1.2). */
export interface BindingRefreshRequest extends MhCommon {
  readonly type: 'BRR';
  readonly reserved?: number;
}

/** Home Test Init (§6.1.3). */
export interface HomeTestInit extends MhCommon {
  readonly type: 'HoTI';
  readonly reserved?: number;
  /** 8 octets. */
  readonly homeInitCookie: Uint8Array;
}

/** Care-of Test Init (§6.1.4). */
export interface CareOfTestInit extends MhCommon {
  readonly type: 'CoTI';
  readonly reserved?: number;
  readonly careOfInitCookie: Uint8Array;
}

/** Home Test (§6.1.5). */
export interface HomeTest extends MhCommon {
  readonly type: 'HoT';
  readonly homeNonceIndex: number;
  readonly homeInitCookie: Uint8Array;
  readonly homeKeygenToken: Uint8Array;
}

/** Care-of Test (§6.1.6). */
export interface CareOfTest extends MhCommon {
  readonly type: 'CoT';
  readonly careOfNonceIndex: number;
  readonly careOfInitCookie: Uint8Array;
  readonly careOfKeygenToken: Uint8Array;
}

/** Binding Update (§6.1.7). */
export interface BindingUpdate extends MhCommon {
  readonly type: 'BU';
  readonly seq: number;
  /** Acknowledge requested. */
  readonly a?: boolean;
  /** Home Registration. */
  readonly h?: boolean;
  /** Link-Local Address Compatibility. */
  readonly l?: boolean;
  /** Key Management Mobility Capability. */
  readonly k?: boolean;
  /** The other 12 bits of the flags field (reserved in RFC 6275; M/R/P/F/T in later RFCs). */
  readonly reserved?: number;
  /** Requested lifetime in 4-second units; 0 deregisters. */
  readonly lifetime: number;
}

/** Binding Acknowledgement (§6.1.8). */
export interface BindingAck extends MhCommon {
  readonly type: 'BA';
  readonly status: number;
  /** Key Management Mobility Capability. */
  readonly k?: boolean;
  /** The other 7 bits of the flags octet. */
  readonly reserved?: number;
  readonly seq: number;
  /** Granted lifetime in 4-second units. */
  readonly lifetime: number;
}

/** Binding Error (§6.1.9). */
export interface BindingError extends MhCommon {
  readonly type: 'BE';
  readonly status: number;
  readonly reserved?: number;
  readonly homeAddress: Ip;
}

/** A message type this codec does not know; `data` is everything after the checksum. */
export interface UnknownMh extends Omit<MhCommon, 'options'> {
  readonly type: 'unknown';
  readonly mhType: number;
  readonly data: Uint8Array;
}

export type MhMessage =
  | BindingRefreshRequest
  | HomeTestInit
  | CareOfTestInit
  | HomeTest
  | CareOfTest
  | BindingUpdate
  | BindingAck
  | BindingError
  | UnknownMh;

export type MhTypeName = MhMessage['type'];

/** MH Type number of each named message. */
export const MH_TYPE_NUMBER: Readonly<Record<Exclude<MhTypeName, 'unknown'>, number>> = {
  BRR: IP6_MH_TYPE_BRR,
  HoTI: IP6_MH_TYPE_HOTI,
  CoTI: IP6_MH_TYPE_COTI,
  HoT: IP6_MH_TYPE_HOT,
  CoT: IP6_MH_TYPE_COT,
  BU: IP6_MH_TYPE_BU,
  BA: IP6_MH_TYPE_BACK,
  BE: IP6_MH_TYPE_BERROR,
};

const MH_TYPE_NAME: readonly Exclude<MhTypeName, 'unknown'>[] = [
  'BRR',
  'HoTI',
  'CoTI',
  'HoT',
  'CoT',
  'BU',
  'BA',
  'BE',
];

/** The MH Type number of a message. */
export function mhTypeNumber(m: MhMessage): number {
  return m.type === 'unknown' ? m.mhType : MH_TYPE_NUMBER[m.type];
}

export interface MhDecodeOptions {
  /** Pseudo-header source (the home address when a Home Address option is present). */
  readonly src?: Ip;
  /** Pseudo-header destination (the final destination when a type 2 routing header is present). */
  readonly dst?: Ip;
  /** Reject known options placed off their RFC 6275 §6.2 alignment (default true). */
  readonly strictAlignment?: boolean;
}

export interface MhEncodeOptions {
  /** With both addresses the checksum is computed; otherwise the message's `checksum` (or 0) is written. */
  readonly src?: Ip;
  readonly dst?: Ip;
  /**
   * Insert the padding RFC 6275 §6.2 alignment needs and pad the header to 8 octets (default true).
   * Options already laid out (as decoded) need none, so decoded messages re-encode unchanged.
   */
  readonly autoPad?: boolean;
}

/** Octets a Mobility Header occupies, read from its Header Len (RFC 6275 §6.1.1). */
export function mhLength(bytes: Uint8Array, start = 0): number {
  if (bytes.length - start < 2) failAt(bytes.length, 'truncated before the Header Len octet');
  return (bytes[start + 1]! + 1) * 8;
}

/**
 * Decodes the Mobility Header at `bytes[start…]`; returns the message and the offset after it.
 * Offsets in errors are absolute positions in `bytes`.
 */
export function decodeMhAt(
  bytes: Uint8Array,
  start: number,
  opts: MhDecodeOptions = {},
): { message: MhMessage; end: number } {
  const avail = bytes.length - start;
  if (avail < 6) failAt(bytes.length, `Mobility Header truncated: ${avail} octets, the header alone needs 6`);
  const len = mhLength(bytes, start);
  if (len > avail)
    failAt(start + 1, `Header Len ${bytes[start + 1]} means ${len} octets but only ${avail} are present`);
  const end = start + len;
  const mhType = bytes[start + 2]!;
  const fixed = MH_FIXED_LENGTH[mhType];
  if (fixed !== undefined && len < fixed) {
    failAt(
      start + 1,
      `${MH_TYPE_NAME[mhType]} needs at least ${fixed} octets, Header Len ${bytes[start + 1]} gives ${len}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, len);
  if (opts.src !== undefined && opts.dst !== undefined) {
    const mh = bytes.subarray(start, end);
    if (!verifyUpperLayerChecksum(opts.src, opts.dst, mh)) {
      const want = upperLayerChecksum(opts.src, opts.dst, mh);
      failAt(
        start + 4,
        `checksum 0x${view.getUint16(4).toString(16).padStart(4, '0')} is wrong, expected 0x${want.toString(16).padStart(4, '0')} for ${opts.src} -> ${opts.dst}`,
      );
    }
  }
  const common = {
    payloadProto: bytes[start]!,
    headerReserved: bytes[start + 3]!,
    checksum: view.getUint16(4),
  };
  const options = (): MobilityOption[] =>
    decodeMobilityOptions(bytes, start + fixed!, end, start, {
      strictAlignment: opts.strictAlignment ?? true,
    });
  const at = (o: number, n: number) => bytes.slice(start + o, start + o + n);
  let message: MhMessage;
  switch (mhType) {
    case IP6_MH_TYPE_BRR:
      message = { type: 'BRR', ...common, reserved: view.getUint16(6), options: options() };
      break;
    case IP6_MH_TYPE_HOTI:
      message = {
        type: 'HoTI',
        ...common,
        reserved: view.getUint16(6),
        homeInitCookie: at(8, 8),
        options: options(),
      };
      break;
    case IP6_MH_TYPE_COTI:
      message = {
        type: 'CoTI',
        ...common,
        reserved: view.getUint16(6),
        careOfInitCookie: at(8, 8),
        options: options(),
      };
      break;
    case IP6_MH_TYPE_HOT:
      message = {
        type: 'HoT',
        ...common,
        homeNonceIndex: view.getUint16(6),
        homeInitCookie: at(8, 8),
        homeKeygenToken: at(16, 8),
        options: options(),
      };
      break;
    case IP6_MH_TYPE_COT:
      message = {
        type: 'CoT',
        ...common,
        careOfNonceIndex: view.getUint16(6),
        careOfInitCookie: at(8, 8),
        careOfKeygenToken: at(16, 8),
        options: options(),
      };
      break;
    case IP6_MH_TYPE_BU: {
      const flags = view.getUint16(8);
      message = {
        type: 'BU',
        ...common,
        seq: view.getUint16(6),
        a: (flags & IP6_MH_BU_ACK) !== 0,
        h: (flags & IP6_MH_BU_HOME) !== 0,
        l: (flags & IP6_MH_BU_LLOCAL) !== 0,
        k: (flags & IP6_MH_BU_KEYM) !== 0,
        reserved: flags & 0x0fff,
        lifetime: view.getUint16(10),
        options: options(),
      };
      break;
    }
    case IP6_MH_TYPE_BACK: {
      const flags = bytes[start + 7]!;
      message = {
        type: 'BA',
        ...common,
        status: bytes[start + 6]!,
        k: (flags & IP6_MH_BA_KEYM) !== 0,
        reserved: flags & 0x7f,
        seq: view.getUint16(8),
        lifetime: view.getUint16(10),
        options: options(),
      };
      break;
    }
    case IP6_MH_TYPE_BERROR:
      message = {
        type: 'BE',
        ...common,
        status: bytes[start + 6]!,
        reserved: bytes[start + 7]!,
        homeAddress: ipFromBytes(bytes, start + 8, 6),
        options: options(),
      };
      break;
    default:
      message = { type: 'unknown', ...common, mhType, data: bytes.slice(start + 6, end) };
  }
  return { message, end };
}

/**
 * Decodes exactly one Mobility Header: `bytes` must hold it and nothing after it. With `src` and
 * `dst`, the checksum is verified too.
 */
export function decodeMh(bytes: Uint8Array, opts: MhDecodeOptions = {}): MhMessage {
  const { message, end } = decodeMhAt(bytes, 0, opts);
  if (end !== bytes.length) failAt(end, `${bytes.length - end} octets after the end of the Mobility Header`);
  return message;
}

const isU = (v: unknown, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;

function checkU(v: unknown, max: number, path: string, what: string): number {
  if (!isU(v, max)) failPath(path, `${what} must be an integer 0..${max}, got ${JSON.stringify(v)}`);
  return v;
}

function checkBytes(v: unknown, n: number, path: string, what: string): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length !== n) failPath(path, `${what} must be ${n} octets`);
  return v;
}

function checkIp6(v: unknown, path: string, what: string): Uint8Array {
  if (typeof v !== 'string' || !v.includes(':'))
    failPath(path, `${what} must be an IPv6 address, got ${JSON.stringify(v)}`);
  try {
    return ipToBytes(v);
  } catch {
    return failPath(path, `${what} is not an IPv6 address: ${JSON.stringify(v)}`);
  }
}

function checkFlag(v: unknown, path: string): boolean {
  if (v !== undefined && typeof v !== 'boolean')
    failPath(path, `flag must be true or false, got ${JSON.stringify(v)}`);
  return v === true;
}

/** Writes the fixed message data of `m` into `out` at offset 6 (validating as it goes). */
function writeFixed(m: Exclude<MhMessage, UnknownMh>, out: Uint8Array, view: DataView): void {
  switch (m.type) {
    case 'BRR':
      view.setUint16(6, checkU(m.reserved ?? 0, 0xffff, '$.reserved', 'reserved'));
      return;
    case 'HoTI':
      view.setUint16(6, checkU(m.reserved ?? 0, 0xffff, '$.reserved', 'reserved'));
      out.set(checkBytes(m.homeInitCookie, 8, '$.homeInitCookie', 'home init cookie'), 8);
      return;
    case 'CoTI':
      view.setUint16(6, checkU(m.reserved ?? 0, 0xffff, '$.reserved', 'reserved'));
      out.set(checkBytes(m.careOfInitCookie, 8, '$.careOfInitCookie', 'care-of init cookie'), 8);
      return;
    case 'HoT':
      view.setUint16(6, checkU(m.homeNonceIndex, 0xffff, '$.homeNonceIndex', 'home nonce index'));
      out.set(checkBytes(m.homeInitCookie, 8, '$.homeInitCookie', 'home init cookie'), 8);
      out.set(checkBytes(m.homeKeygenToken, 8, '$.homeKeygenToken', 'home keygen token'), 16);
      return;
    case 'CoT':
      view.setUint16(6, checkU(m.careOfNonceIndex, 0xffff, '$.careOfNonceIndex', 'care-of nonce index'));
      out.set(checkBytes(m.careOfInitCookie, 8, '$.careOfInitCookie', 'care-of init cookie'), 8);
      out.set(checkBytes(m.careOfKeygenToken, 8, '$.careOfKeygenToken', 'care-of keygen token'), 16);
      return;
    case 'BU': {
      view.setUint16(6, checkU(m.seq, 0xffff, '$.seq', 'sequence number'));
      let flags = checkU(m.reserved ?? 0, 0x0fff, '$.reserved', 'reserved flag bits');
      if (checkFlag(m.a, '$.a')) flags |= IP6_MH_BU_ACK;
      if (checkFlag(m.h, '$.h')) flags |= IP6_MH_BU_HOME;
      if (checkFlag(m.l, '$.l')) flags |= IP6_MH_BU_LLOCAL;
      if (checkFlag(m.k, '$.k')) flags |= IP6_MH_BU_KEYM;
      view.setUint16(8, flags);
      view.setUint16(10, checkU(m.lifetime, 0xffff, '$.lifetime', 'lifetime (4-second units)'));
      return;
    }
    case 'BA': {
      out[6] = checkU(m.status, 0xff, '$.status', 'status');
      let flags = checkU(m.reserved ?? 0, 0x7f, '$.reserved', 'reserved flag bits');
      if (checkFlag(m.k, '$.k')) flags |= IP6_MH_BA_KEYM;
      out[7] = flags;
      view.setUint16(8, checkU(m.seq, 0xffff, '$.seq', 'sequence number'));
      view.setUint16(10, checkU(m.lifetime, 0xffff, '$.lifetime', 'lifetime (4-second units)'));
      return;
    }
    case 'BE':
      out[6] = checkU(m.status, 0xff, '$.status', 'status');
      out[7] = checkU(m.reserved ?? 0, 0xff, '$.reserved', 'reserved');
      out.set(checkIp6(m.homeAddress, '$.homeAddress', 'home address'), 8);
      return;
  }
}

/**
 * Encodes a Mobility Header. With `src` and `dst` (the pseudo-header's logical addresses) the
 * checksum is computed; otherwise the message's own `checksum` (default 0) is written as is.
 * Throws {@link MhError} (with a `$.…` path) for values that do not fit their fields.
 */
export function encodeMh(m: MhMessage, opts: MhEncodeOptions = {}): Uint8Array {
  if (typeof m !== 'object' || m === null) failPath('$', 'a Mobility Header message must be an object');
  const payloadProto = checkU(m.payloadProto ?? IPPROTO_NONE, 0xff, '$.payloadProto', 'payload proto');
  const headerReserved = checkU(m.headerReserved ?? 0, 0xff, '$.headerReserved', 'header reserved octet');
  const checksum = checkU(m.checksum ?? 0, 0xffff, '$.checksum', 'checksum');
  let out: Uint8Array;
  let mhType: number;
  if (m.type === 'unknown') {
    mhType = checkU(m.mhType, 0xff, '$.mhType', 'MH type');
    if (MH_FIXED_LENGTH[mhType] !== undefined) {
      failPath('$.mhType', `MH type ${mhType} is ${MH_TYPE_NAME[mhType]}; encode it by name`);
    }
    if (!(m.data instanceof Uint8Array)) failPath('$.data', 'message data must be bytes');
    const total = 6 + m.data.length;
    if (total % 8 !== 0)
      failPath(
        '$.data',
        `message data of ${m.data.length} octets leaves the header ${total} long, not a multiple of 8`,
      );
    if (total > 2048) failPath('$.data', `header of ${total} octets exceeds the 2048 Header Len allows`);
    out = new Uint8Array(total);
    out.set(m.data, 6);
  } else {
    const num = MH_TYPE_NUMBER[m.type];
    if (num === undefined)
      failPath('$.type', `unknown message type ${JSON.stringify((m as { type: unknown }).type)}`);
    mhType = num;
    const fixed = MH_FIXED_LENGTH[mhType]!;
    const given = m.options ?? [];
    if (!Array.isArray(given as unknown)) failPath('$.options', 'options must be a list');
    for (const [i, o] of given.entries()) validateMobilityOption(o, `$.options[${i}]`);
    const laid = layoutMobilityOptions(given, fixed, opts.autoPad ?? true);
    const total = laid.reduce((n, o) => n + optionSize(o), fixed);
    if (total % 8 !== 0)
      failPath('$.options', `options leave the header ${total} octets long, not a multiple of 8`);
    if (total > 2048) failPath('$.options', `header of ${total} octets exceeds the 2048 Header Len allows`);
    out = new Uint8Array(total);
    writeFixed(m, out, new DataView(out.buffer));
    let p = fixed;
    for (const o of laid) p = writeMobilityOption(out, p, o);
  }
  out[0] = payloadProto;
  out[1] = out.length / 8 - 1;
  out[2] = mhType;
  out[3] = headerReserved;
  const view = new DataView(out.buffer);
  if (opts.src !== undefined && opts.dst !== undefined) {
    view.setUint16(4, upperLayerChecksum(opts.src, opts.dst, out));
  } else {
    view.setUint16(4, checksum);
  }
  return out;
}
