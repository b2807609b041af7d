/**
 * A small IPv6 packet codec for Mobile IPv6 signalling: the fixed header (RFC 8200 §3), Hop-by-Hop
 * and Destination Options headers with their TLV options (RFC 8200 §4.2–4.6) including the Home
 * Address option (RFC 6275 §6.3: type 201, length 16, alignment 8n+6), Routing headers with the
 * type 2 routing header in full (RFC 6275 §6.4), and the Mobility Header (./mh-codec.ts). Anything
 * after the last of those (ESP, ICMPv6, a fragment header, …) is kept as opaque payload.
 *
 * Every accepted packet re-encodes to the same bytes. The Mobility Header's checksum is verified
 * with the logical addresses of RFC 6275 §6.1.1: the Home Address option's address as source, the
 * type 2 routing header's address as destination while a segment is left.
 */
import { IPPROTO_MH, type Ip, ipFromBytes, ipToBytes } from '@mip6sec/core';
import { verifyUpperLayerChecksum } from './checksum.js';
import { decodeMhAt, encodeMh, type MhMessage } from './mh-codec.js';
import {
  IP6OPT_HOME_ADDRESS,
  IP6OPT_PAD1,
  IP6OPT_PADN,
  IPPROTO_DSTOPTS,
  IPPROTO_HOPOPTS,
  IPPROTO_NONE,
  IPPROTO_ROUTING,
  IPV6_RTHDR_TYPE_2,
} from './mh-constants.js';
import { failAt, failPath } from './mh-error.js';

/** The fixed IPv6 header; version is always 6 and Payload Length is computed on encode. */
export interface Ipv6Header {
  readonly trafficClass?: number;
  readonly flowLabel?: number;
  /** Default 64. */
  readonly hopLimit?: number;
  readonly src: Ip;
  readonly dst: Ip;
}

/** A TLV option of a Hop-by-Hop or Destination Options header. */
export type Ipv6Option =
  | { readonly type: 'pad1' }
  | { readonly type: 'padN'; readonly data: Uint8Array }
  | { readonly type: 'homeAddress'; readonly address: Ip }
  | { readonly type: 'unknown'; readonly optionType: number; readonly data: Uint8Array };

export interface OptionsHeader {
  readonly type: 'hopByHop' | 'destinationOptions';
  /** Options in wire order (padding included once decoded). */
  readonly options: readonly Ipv6Option[];
}

/**
 * A Routing header. Type 2 (RFC 6275 §6.4) has `homeAddress` and `reserved`; other types keep the
 * octets after Segments Left as `data`.
 */
export interface RoutingHeader {
  readonly type: 'routing';
  readonly routingType: number;
  readonly segmentsLeft: number;
  readonly homeAddress?: Ip;
  readonly reserved?: number;
  readonly data?: Uint8Array;
}

export interface MobilityHeader {
  readonly type: 'mobility';
  readonly message: MhMessage;
}

export type ExtensionHeader = OptionsHeader | RoutingHeader | MobilityHeader;

export interface Ipv6Packet {
  readonly header: Ipv6Header;
  readonly extensions: readonly ExtensionHeader[];
  /**
   * What follows the last header this codec parses: its protocol number and octets. Absent when
   * the chain ends in No Next Header (59) with nothing after it.
   */
  readonly payload?: { readonly nextHeader: number; readonly data: Uint8Array };
}

export interface Ipv6DecodeOptions {
  /** Verify the Mobility Header checksum (default true). */
  readonly verifyChecksum?: boolean;
  /** Reject the Home Address option and known mobility options off their alignment (default true). */
  readonly strictAlignment?: boolean;
}

export interface Ipv6EncodeOptions {
  /** Compute the Mobility Header checksum (default true); otherwise write the message's own. */
  readonly computeChecksum?: boolean;
  /** Pad options to their alignment and headers to 8 octets (default true). */
  readonly autoPad?: boolean;
}

const IPV6_HEADER_LENGTH = 40;

/** True when `bytes` starts like an IPv6 packet (version nibble 6). */
export function looksLikeIpv6(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes[0]! >> 4 === 6;
}

function decodeTlvOptions(
  bytes: Uint8Array,
  start: number,
  end: number,
  hdrStart: number,
  strict: boolean,
): Ipv6Option[] {
  const out: Ipv6Option[] = [];
  let p = start;
  while (p < end) {
    const t = bytes[p]!;
    if (t === IP6OPT_PAD1) {
      out.push({ type: 'pad1' });
      p++;
      continue;
    }
    if (p + 2 > end) failAt(p, `option type ${t} has no length octet before the end of the header`);
    const len = bytes[p + 1]!;
    if (p + 2 + len > end) failAt(p + 1, `option type ${t} length ${len} runs past the end of the header`);
    const d = p + 2;
    if (t === IP6OPT_PADN) {
      out.push({ type: 'padN', data: bytes.slice(d, d + len) });
    } else if (t === IP6OPT_HOME_ADDRESS) {
      if (len !== 16) failAt(p + 1, `Home Address option length ${len}, must be 16`);
      // RFC 6275 §6.3: 8n+6 from the start of the header puts the address on an 8-octet boundary.
      if (strict && (p - hdrStart) % 8 !== 6) {
        failAt(p, `Home Address option at offset ${p - hdrStart} breaks its 8n+6 alignment`);
      }
      out.push({ type: 'homeAddress', address: ipFromBytes(bytes, d, 6) });
    } else {
      out.push({ type: 'unknown', optionType: t, data: bytes.slice(d, d + len) });
    }
    p = d + len;
  }
  return out;
}

/**
 * Decodes an IPv6 packet and its extension headers. Throws {@link MhError} with the byte offset of
 * the first thing wrong.
 */
export function decodeIpv6Packet(bytes: Uint8Array, opts: Ipv6DecodeOptions = {}): Ipv6Packet {
  const strict = opts.strictAlignment ?? true;
  if (bytes.length < IPV6_HEADER_LENGTH)
    failAt(bytes.length, `IPv6 header truncated: ${bytes.length} of 40 octets`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const first = view.getUint32(0);
  if (first >>> 28 !== 6) failAt(0, `IP version ${first >>> 28}, expected 6`);
  const payloadLength = view.getUint16(4);
  if (payloadLength !== bytes.length - IPV6_HEADER_LENGTH) {
    failAt(
      4,
      `Payload Length ${payloadLength} but ${bytes.length - IPV6_HEADER_LENGTH} octets follow the header`,
    );
  }
  const header: Ipv6Header = {
    trafficClass: (first >>> 20) & 0xff,
    flowLabel: first & 0xfffff,
    hopLimit: bytes[7]!,
    src: ipFromBytes(bytes, 8, 6),
    dst: ipFromBytes(bytes, 24, 6),
  };
  const extensions: ExtensionHeader[] = [];
  let nh = bytes[6]!;
  let nhAt = 6;
  let p = IPV6_HEADER_LENGTH;
  let hoa: Ip | undefined;
  let finalDst: Ip = header.dst;
  for (;;) {
    if (nh === IPPROTO_HOPOPTS || nh === IPPROTO_DSTOPTS || nh === IPPROTO_ROUTING) {
      if (nh === IPPROTO_HOPOPTS && p !== IPV6_HEADER_LENGTH) {
        failAt(nhAt, 'Hop-by-Hop Options header must come right after the IPv6 header');
      }
      if (bytes.length - p < 8)
        failAt(bytes.length, `extension header truncated: ${bytes.length - p} of at least 8 octets`);
      const len = (bytes[p + 1]! + 1) * 8;
      if (p + len > bytes.length) {
        failAt(
          p + 1,
          `Hdr Ext Len ${bytes[p + 1]} means ${len} octets but only ${bytes.length - p} are left`,
        );
      }
      const next = bytes[p]!;
      if (nh === IPPROTO_ROUTING) {
        const routingType = bytes[p + 2]!;
        const segmentsLeft = bytes[p + 3]!;
        if (routingType === IPV6_RTHDR_TYPE_2) {
          if (bytes[p + 1] !== 2)
            failAt(p + 1, `type 2 routing header Hdr Ext Len ${bytes[p + 1]}, must be 2`);
          if (segmentsLeft > 1)
            failAt(p + 3, `type 2 routing header Segments Left ${segmentsLeft}, must be 0 or 1`);
          const homeAddress = ipFromBytes(bytes, p + 8, 6);
          if (segmentsLeft === 1) finalDst = homeAddress;
          extensions.push({
            type: 'routing',
            routingType,
            segmentsLeft,
            reserved: view.getUint32(p + 4),
            homeAddress,
          });
        } else {
          extensions.push({ type: 'routing', routingType, segmentsLeft, data: bytes.slice(p + 4, p + len) });
        }
      } else {
        const options = decodeTlvOptions(bytes, p + 2, p + len, p, strict);
        for (const o of options) if (o.type === 'homeAddress') hoa = o.address;
        extensions.push({ type: nh === IPPROTO_HOPOPTS ? 'hopByHop' : 'destinationOptions', options });
      }
      nhAt = p;
      nh = next;
      p += len;
      continue;
    }
    if (nh === IPPROTO_MH) {
      const verify = opts.verifyChecksum ?? true;
      const { message, end } = decodeMhAt(
        bytes,
        p,
        verify
          ? { src: hoa ?? header.src, dst: finalDst, strictAlignment: strict }
          : { strictAlignment: strict },
      );
      extensions.push({ type: 'mobility', message });
      nh = message.payloadProto ?? IPPROTO_NONE;
      p = end;
      if (p === bytes.length) return { header, extensions };
      return { header, extensions, payload: { nextHeader: nh, data: bytes.slice(p) } };
    }
    break;
  }
  if (nh === IPPROTO_NONE && p === bytes.length) return { header, extensions };
  return { header, extensions, payload: { nextHeader: nh, data: bytes.slice(p) } };
}

const isU = (v: unknown, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;

function checkU(v: unknown, max: number, path: string, what: string): number {
  if (!isU(v, max)) failPath(path, `${what} must be an integer 0..${max}, got ${JSON.stringify(v)}`);
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

function checkData(v: unknown, max: number, path: string): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length > max) failPath(path, `data must be 0..${max} octets`);
  return v;
}

function tlvSize(o: Ipv6Option): number {
  switch (o.type) {
    case 'pad1':
      return 1;
    case 'homeAddress':
      return 18;
    default:
      return 2 + o.data.length;
  }
}

function tlvPadding(n: number): Ipv6Option[] {
  if (n <= 0) return [];
  return n === 1 ? [{ type: 'pad1' }] : [{ type: 'padN', data: new Uint8Array(n - 2) }];
}

/** Builds the octets of a Hop-by-Hop or Destination Options header with `next` as its Next Header. */
function encodeOptionsHeader(h: OptionsHeader, next: number, autoPad: boolean, path: string): Uint8Array {
  if (!Array.isArray(h.options as unknown)) failPath(`${path}.options`, 'options must be a list');
  const laid: Ipv6Option[] = [];
  let p = 2;
  h.options.forEach((o, i) => {
    const op = `${path}.options[${i}]`;
    switch (o?.type) {
      case 'pad1':
        break;
      case 'padN':
        checkData(o.data, 255, `${op}.data`);
        break;
      case 'homeAddress':
        checkIp6(o.address, `${op}.address`, 'home address');
        if (autoPad) {
          const pad = (((6 - p) % 8) + 8) % 8;
          for (const x of tlvPadding(pad)) laid.push(x);
          p += pad;
        }
        break;
      case 'unknown':
        checkU(o.optionType, 255, `${op}.optionType`, 'option type');
        if ([IP6OPT_PAD1, IP6OPT_PADN, IP6OPT_HOME_ADDRESS].includes(o.optionType)) {
          failPath(`${op}.optionType`, `option type ${o.optionType} has a name; use it`);
        }
        checkData(o.data, 255, `${op}.data`);
        break;
      default:
        failPath(`${op}.type`, `unknown option ${JSON.stringify((o as { type?: unknown })?.type)}`);
    }
    laid.push(o);
    p += tlvSize(o);
  });
  if (autoPad) for (const x of tlvPadding((8 - (p % 8)) % 8)) laid.push(x);
  const total = laid.reduce((n, o) => n + tlvSize(o), 2);
  if (total % 8 !== 0)
    failPath(`${path}.options`, `options leave the header ${total} octets long, not a multiple of 8`);
  if (total > 2048)
    failPath(`${path}.options`, `header of ${total} octets exceeds the 2048 Hdr Ext Len allows`);
  const out = new Uint8Array(total);
  out[0] = next;
  out[1] = total / 8 - 1;
  let q = 2;
  for (const o of laid) {
    switch (o.type) {
      case 'pad1':
        out[q++] = IP6OPT_PAD1;
        break;
      case 'padN':
        out[q] = IP6OPT_PADN;
        out[q + 1] = o.data.length;
        out.set(o.data, q + 2);
        q += 2 + o.data.length;
        break;
      case 'homeAddress':
        out[q] = IP6OPT_HOME_ADDRESS;
        out[q + 1] = 16;
        out.set(ipToBytes(o.address), q + 2);
        q += 18;
        break;
      case 'unknown':
        out[q] = o.optionType;
        out[q + 1] = o.data.length;
        out.set(o.data, q + 2);
        q += 2 + o.data.length;
        break;
    }
  }
  return out;
}

function encodeRoutingHeader(h: RoutingHeader, next: number, path: string): Uint8Array {
  const routingType = checkU(h.routingType, 255, `${path}.routingType`, 'routing type');
  const segmentsLeft = checkU(h.segmentsLeft, 255, `${path}.segmentsLeft`, 'segments left');
  let out: Uint8Array;
  if (routingType === IPV6_RTHDR_TYPE_2) {
    if (segmentsLeft > 1)
      failPath(`${path}.segmentsLeft`, 'a type 2 routing header has 0 or 1 segments left');
    out = new Uint8Array(24);
    new DataView(out.buffer).setUint32(
      4,
      checkU(h.reserved ?? 0, 0xffffffff, `${path}.reserved`, 'reserved'),
    );
    out.set(checkIp6(h.homeAddress, `${path}.homeAddress`, 'home address'), 8);
  } else {
    const data = checkData(h.data ?? new Uint8Array(4), 2044, `${path}.data`);
    if ((4 + data.length) % 8 !== 0) {
      failPath(
        `${path}.data`,
        `routing data of ${data.length} octets leaves the header ${4 + data.length} long, not a multiple of 8`,
      );
    }
    out = new Uint8Array(4 + data.length);
    out.set(data, 4);
  }
  out[0] = next;
  out[1] = out.length / 8 - 1;
  out[2] = routingType;
  out[3] = segmentsLeft;
  return out;
}

const PROTO_OF: Readonly<Record<ExtensionHeader['type'], number>> = {
  hopByHop: IPPROTO_HOPOPTS,
  destinationOptions: IPPROTO_DSTOPTS,
  routing: IPPROTO_ROUTING,
  mobility: IPPROTO_MH,
};

/**
 * Encodes an IPv6 packet. Payload Length and every Next Header field follow from the header list;
 * the Mobility Header's checksum is computed from the logical addresses unless told not to.
 */
export function encodeIpv6Packet(packet: Ipv6Packet, opts: Ipv6EncodeOptions = {}): Uint8Array {
  const autoPad = opts.autoPad ?? true;
  const h = packet?.header;
  if (typeof h !== 'object' || h === null) failPath('$.header', 'the IPv6 header is missing');
  const tc = checkU(h.trafficClass ?? 0, 0xff, '$.header.trafficClass', 'traffic class');
  const fl = checkU(h.flowLabel ?? 0, 0xfffff, '$.header.flowLabel', 'flow label');
  const hl = checkU(h.hopLimit ?? 64, 0xff, '$.header.hopLimit', 'hop limit');
  const src = checkIp6(h.src, '$.header.src', 'source');
  const dst = checkIp6(h.dst, '$.header.dst', 'destination');
  const exts = packet.extensions ?? [];
  if (!Array.isArray(exts as unknown)) failPath('$.extensions', 'extensions must be a list');
  const mobilityAt = exts.findIndex((e) => e?.type === 'mobility');
  if (mobilityAt >= 0 && mobilityAt !== exts.length - 1) {
    failPath(`$.extensions[${mobilityAt}]`, 'the Mobility Header must be the last extension header');
  }
  const hbhAt = exts.findIndex((e) => e?.type === 'hopByHop');
  if (hbhAt > 0) failPath(`$.extensions[${hbhAt}]`, 'the Hop-by-Hop Options header must come first');
  const payload = packet.payload;
  if (payload !== undefined) {
    checkU(payload.nextHeader, 255, '$.payload.nextHeader', 'next header');
    checkData(payload.data, 0xffff, '$.payload.data');
  }
  // Logical addresses for the MH checksum (RFC 6275 §6.1.1).
  let hoa: Ip | undefined;
  let finalDst: Ip = h.dst;
  for (const e of exts) {
    if (e?.type === 'destinationOptions' || e?.type === 'hopByHop') {
      for (const o of e.options ?? []) if (o?.type === 'homeAddress') hoa = o.address;
    }
    if (
      e?.type === 'routing' &&
      e.routingType === IPV6_RTHDR_TYPE_2 &&
      e.segmentsLeft === 1 &&
      e.homeAddress
    ) {
      finalDst = e.homeAddress;
    }
  }
  const parts: Uint8Array[] = [];
  exts.forEach((e, i) => {
    const path = `$.extensions[${i}]`;
    const nextExt = exts[i + 1];
    const next = nextExt ? PROTO_OF[nextExt.type] : (payload?.nextHeader ?? IPPROTO_NONE);
    switch (e?.type) {
      case 'hopByHop':
      case 'destinationOptions':
        parts.push(encodeOptionsHeader(e, next, autoPad, path));
        break;
      case 'routing':
        parts.push(encodeRoutingHeader(e, next, path));
        break;
      case 'mobility': {
        const m = e.message;
        if (payload !== undefined && (m?.payloadProto ?? IPPROTO_NONE) !== payload.nextHeader) {
          failPath(
            '$.payload.nextHeader',
            `must equal the Mobility Header's Payload Proto ${m?.payloadProto ?? IPPROTO_NONE}`,
          );
        }
        try {
          const computed = opts.computeChecksum ?? true;
          const mh = encodeMh(m, computed ? { src: hoa ?? h.src, dst: finalDst, autoPad } : { autoPad });
          // A stored checksum that verifies stays as it was: 0x0000 and 0xffff both spell a zero sum,
          // and decoded packets must re-encode to the same bytes.
          if (computed && m.checksum !== undefined) {
            const view = new DataView(mh.buffer);
            const fresh = view.getUint16(4);
            view.setUint16(4, m.checksum);
            if (!verifyUpperLayerChecksum(hoa ?? h.src, finalDst, mh)) view.setUint16(4, fresh);
          }
          parts.push(mh);
        } catch (err) {
          // Re-anchor the message's own paths inside the packet.
          const r = err as { path?: string; reason?: string };
          if (r.path !== undefined && r.reason !== undefined)
            failPath(`${path}.message${r.path.slice(1)}`, r.reason);
          throw err;
        }
        break;
      }
      default:
        failPath(
          `${path}.type`,
          `unknown extension header ${JSON.stringify((e as { type?: unknown })?.type)}`,
        );
    }
  });
  if (payload) parts.push(payload.data);
  const bodyLength = parts.reduce((n, x) => n + x.length, 0);
  if (bodyLength > 0xffff)
    failPath(
      '$',
      `payload of ${bodyLength} octets does not fit Payload Length (jumbograms are not supported)`,
    );
  const out = new Uint8Array(IPV6_HEADER_LENGTH + bodyLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, ((6 << 28) | (tc << 20) | fl) >>> 0);
  view.setUint16(4, bodyLength);
  out[6] = exts[0] ? PROTO_OF[exts[0].type] : (payload?.nextHeader ?? IPPROTO_NONE);
  out[7] = hl;
  out.set(src, 8);
  out.set(dst, 24);
  let p = IPV6_HEADER_LENGTH;
  for (const x of parts) {
    out.set(x, p);
    p += x.length;
  }
  return out;
}

/**
 * The packet a Mobile IPv6 node puts on the wire for one Mobility Header message: from `src` to
 * `dst`, with a Home Address option (a BU sent from the CoA) or a type 2 routing header (a BA to
 * the CoA) as RFC 6275 §6.1 allows.
 */
export function mhPacket(p: {
  readonly src: Ip;
  readonly dst: Ip;
  readonly message: MhMessage;
  readonly homeAddressOption?: Ip;
  readonly routingHeader2?: Ip;
  readonly hopLimit?: number;
}): Ipv6Packet {
  const extensions: ExtensionHeader[] = [];
  if (p.routingHeader2 !== undefined) {
    extensions.push({
      type: 'routing',
      routingType: IPV6_RTHDR_TYPE_2,
      segmentsLeft: 1,
      homeAddress: p.routingHeader2,
    });
  }
  if (p.homeAddressOption !== undefined) {
    extensions.push({
      type: 'destinationOptions',
      options: [{ type: 'homeAddress', address: p.homeAddressOption }],
    });
  }
  extensions.push({ type: 'mobility', message: p.message });
  return { header: { src: p.src, dst: p.dst, hopLimit: p.hopLimit ?? 64 }, extensions };
}

/** The Mobility Header of a decoded packet, if it has one. */
export function mobilityMessageOf(packet: Ipv6Packet): MhMessage | undefined {
  const last = packet.extensions[packet.extensions.length - 1];
  return last?.type === 'mobility' ? last.message : undefined;
}
