/**
 * IPv6 and IPv4 packets as bytes, for the datapath and for captures Wireshark decodes: the IPv6 header
 * (RFC 8200 section 3), the Destination Options header with the Home Address option (RFC 6275 section 6.3:
 * option type 201, 16 bytes, aligned 8n+6) and the type 2 Routing Header (RFC 6275 section 6.4), the IPv4
 * header with its checksum (RFC 791), and UDP with its checksum over the pseudo-header (RFC 768, RFC 8200
 * section 8.1). The Mobility Header itself is the mip6 package's; this module only carries it.
 *
 * Extension header order on output follows RFC 6275 6.3: routing header, then the destination options
 * carrying the HAO, then ESP or the upper layer.
 */
import {
  IPPROTO_ICMPV6,
  IPPROTO_MH,
  IPPROTO_TCP,
  IPPROTO_UDP,
  type Ip,
  ipFamily,
  ipFromBytes,
  ipToBytes,
  type PacketKey,
} from '@mip6sec/core';
import { fail } from './errors.js';

export const IPPROTO_HOPOPTS = 0;
export const IPPROTO_ICMP = 1;
export const IPPROTO_IPIP = 4;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_ROUTING = 43;
export const IPPROTO_FRAGMENT = 44;
export const IPPROTO_ESP = 50;
export const IPPROTO_AH = 51;
export const IPPROTO_NONE = 59;
export const IPPROTO_DSTOPTS = 60;
/** RFC 6275 6.3: Home Address option type. */
export const IP6OPT_HOME_ADDRESS = 0xc9;
const IP6OPT_PADN = 1;
/** RFC 6275 6.4: routing type of the type 2 Routing Header. */
export const IPV6_RTHDR_TYPE_2 = 2;
export const IPV6_HEADER_LEN = 40;
export const IPV4_HEADER_LEN = 20;
export const UDP_HEADER_LEN = 8;
/** The longest header `buildIpPacket` writes: IPv6 with a type 2 Routing Header and a Home Address option. */
export const MAX_IP_HEADER_LEN = IPV6_HEADER_LEN + 24 + 24;
export const DEFAULT_HOP_LIMIT = 64;

export interface IpPacketSpec {
  readonly src: Ip;
  readonly dst: Ip;
  readonly proto: number;
  readonly payload: Uint8Array;
  /** IPv6 only: a Destination Options header with this Home Address. */
  readonly homeAddressOption?: Ip;
  /** IPv6 only: a type 2 Routing Header with this home address. */
  readonly routingHeader2?: Ip;
  readonly hopLimit?: number;
  /** IPv4 identification. */
  readonly id?: number;
}

// Address text to bytes, remembered: a datapath writes the same few addresses into every packet, and
// parsing IPv6 text costs more than the rest of the header. Callers only copy from the cached bytes.
const ADDRESS_CACHE_MAX = 4096;
const addressCache = new Map<Ip, Uint8Array>();

function addressBytes(ip: Ip): Uint8Array {
  let b = addressCache.get(ip);
  if (!b) {
    b = ipToBytes(ip);
    if (addressCache.size >= ADDRESS_CACHE_MAX) addressCache.clear();
    addressCache.set(ip, b);
  }
  return b;
}

// Address bytes to text, remembered the other way round: parsing a packet names its addresses, and
// formatting IPv6 text (RFC 5952) costs more than the rest of the parse. A direct-mapped table of recent
// addresses, checked byte for byte, hands back the same string object each time, whose hash V8 keeps,
// so the SPD and SAD lookups that follow hash nothing.
const TEXT_SLOTS = 1024;
const textBytes = new Uint8Array(TEXT_SLOTS * 16);
const textLength = new Uint8Array(TEXT_SLOTS);
const textValue: Ip[] = new Array<Ip>(TEXT_SLOTS).fill('');

/** The canonical text of the 4 or 16 address bytes at `at` (the caller has checked they are there). */
export function addressAt(bytes: Uint8Array, at: number, family: 4 | 6): Ip {
  const n = family === 4 ? 4 : 16;
  let h = 0;
  for (let i = 0; i < n; i++) h = (Math.imul(h, 31) + bytes[at + i]!) | 0;
  const slot = (h ^ (h >>> 15)) & (TEXT_SLOTS - 1);
  const base = slot * 16;
  if (textLength[slot] === n) {
    let i = 0;
    while (i < n && textBytes[base + i] === bytes[at + i]) i++;
    if (i === n) return textValue[slot]!;
  }
  const text = ipFromBytes(bytes, at, family);
  for (let i = 0; i < n; i++) textBytes[base + i] = bytes[at + i]!;
  textLength[slot] = n;
  textValue[slot] = text;
  return text;
}

/** The one's complement sum of RFC 1071 over several byte ranges, folded, not yet inverted. */
function sum16(parts: readonly Uint8Array[], initial = 0): number {
  let sum = initial;
  let odd = -1;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      if (odd < 0) odd = p[i]!;
      else {
        sum += (odd << 8) | p[i]!;
        odd = -1;
      }
    }
  }
  if (odd >= 0) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The Internet checksum (RFC 1071) of the concatenated parts. */
export function internetChecksum(...parts: readonly Uint8Array[]): number {
  return ~sum16(parts) & 0xffff;
}

function pseudoHeader(src: Ip, dst: Ip, proto: number, length: number): Uint8Array {
  const s = addressBytes(src);
  const d = addressBytes(dst);
  if (s.length === 4) {
    const p = new Uint8Array(12);
    p.set(s, 0);
    p.set(d, 4);
    p[9] = proto;
    p[10] = length >> 8;
    p[11] = length & 0xff;
    return p;
  }
  const p = new Uint8Array(40);
  p.set(s, 0);
  p.set(d, 16);
  new DataView(p.buffer).setUint32(32, length);
  p[39] = proto;
  return p;
}

/** Checksum of an upper-layer PDU over the IPv4 or IPv6 pseudo-header (UDP, TCP, ICMPv6, MH). */
export function upperLayerChecksum(src: Ip, dst: Ip, proto: number, pdu: Uint8Array): number {
  return internetChecksum(pseudoHeader(src, dst, proto, pdu.length), pdu);
}

/**
 * A UDP datagram (header and data). `checksum` false leaves it 0, which IPv4 allows (RFC 768) and RFC 3948
 * section 3.1 recommends for ESP-in-UDP over IPv4; IPv6 always gets one.
 */
export function buildUdp(
  src: Ip,
  dst: Ip,
  sport: number,
  dport: number,
  data: Uint8Array,
  checksum = true,
): Uint8Array {
  const out = new Uint8Array(UDP_HEADER_LEN + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, sport);
  dv.setUint16(2, dport);
  dv.setUint16(4, out.length);
  out.set(data, UDP_HEADER_LEN);
  if (checksum || ipFamily(src) === 6) {
    const c = upperLayerChecksum(src, dst, IPPROTO_UDP, out);
    dv.setUint16(6, c === 0 ? 0xffff : c);
  }
  return out;
}

export interface UdpDatagram {
  readonly sport: number;
  readonly dport: number;
  readonly checksum: number;
  readonly data: Uint8Array;
}

/** Splits a UDP datagram; EINVAL when it is shorter than its header or its length field. */
export function parseUdp(pdu: Uint8Array): UdpDatagram {
  if (pdu.length < UDP_HEADER_LEN)
    fail('EINVAL', `UDP datagram of ${pdu.length} bytes is shorter than its header`);
  const dv = new DataView(pdu.buffer, pdu.byteOffset, pdu.byteLength);
  const len = dv.getUint16(4);
  if (len < UDP_HEADER_LEN || len > pdu.length)
    fail('EINVAL', `UDP length ${len} does not fit ${pdu.length} bytes`);
  return {
    sport: dv.getUint16(0),
    dport: dv.getUint16(2),
    checksum: dv.getUint16(6),
    data: pdu.subarray(8, len),
  };
}

/** True when a UDP datagram's checksum verifies (or is 0 over IPv4, meaning none). */
export function udpChecksumOk(src: Ip, dst: Ip, pdu: Uint8Array): boolean {
  const c = (pdu[6]! << 8) | pdu[7]!;
  if (c === 0) return ipFamily(src) === 4;
  return sum16([pseudoHeader(src, dst, IPPROTO_UDP, pdu.length), pdu]) === 0xffff;
}

/**
 * A whole IPv6 or IPv4 packet; the family follows the addresses. With `headroom`, `spec.payload` is a view
 * with at least that many bytes before it in its buffer that belong to the caller (as `espSeal` leaves
 * them): the headers are written there and the packet returned as a view of the same buffer, without
 * copying the payload. Headers longer than the headroom fall back to a new buffer, from `alloc` when given
 * (it must return zeroed bytes).
 */
export function buildIpPacket(
  spec: IpPacketSpec,
  headroom = 0,
  alloc: (length: number) => Uint8Array = newBytes,
): Uint8Array {
  const fam = ipFamily(spec.src);
  if (ipFamily(spec.dst) !== fam)
    fail('EINVAL', `source ${spec.src} and destination ${spec.dst} differ in family`);
  const hdr = fam === 6 ? ipv6HeaderLength(spec) : ipv4HeaderLength(spec);
  const total = hdr + spec.payload.length;
  let out: Uint8Array;
  if (headroom >= hdr && spec.payload.byteOffset >= hdr) {
    out = new Uint8Array(spec.payload.buffer, spec.payload.byteOffset - hdr, total);
  } else {
    out = alloc(total);
    out.set(spec.payload, hdr);
  }
  if (fam === 6) writeIpv6Header(out, spec, hdr);
  else writeIpv4Header(out, spec);
  return out;
}

const newBytes = (length: number): Uint8Array => new Uint8Array(length);

const IPV6_EXT_LEN = 24;

function ipv6HeaderLength(spec: IpPacketSpec): number {
  let n = IPV6_HEADER_LEN;
  if (spec.homeAddressOption !== undefined) n += IPV6_EXT_LEN;
  if (spec.routingHeader2 !== undefined) n += IPV6_EXT_LEN;
  const payloadLength = n - IPV6_HEADER_LEN + spec.payload.length;
  if (payloadLength > 0xffff) fail('EMSGSIZE', `IPv6 payload of ${payloadLength} bytes needs a jumbogram`);
  return n;
}

/** The IPv6 header and its extension headers (RFC 6275 6.3 order: RH2, then the HAO) in out[0, hdr). */
function writeIpv6Header(out: Uint8Array, spec: IpPacketSpec, hdr: number): void {
  out.fill(0, 0, hdr);
  let next = spec.proto;
  // Written inside out: the header nearest the payload first.
  let at = hdr;
  if (spec.homeAddressOption !== undefined) {
    at -= IPV6_EXT_LEN;
    // 2 bytes of header, PadN of 4 bytes puts the option at offset 6 (8n+6), 18 bytes of option: 24 in all.
    out[at] = next;
    out[at + 1] = 2;
    out[at + 2] = IP6OPT_PADN;
    out[at + 3] = 2;
    out[at + 6] = IP6OPT_HOME_ADDRESS;
    out[at + 7] = 16;
    out.set(addressBytes(spec.homeAddressOption), at + 8);
    next = IPPROTO_DSTOPTS;
  }
  if (spec.routingHeader2 !== undefined) {
    at -= IPV6_EXT_LEN;
    out[at] = next;
    out[at + 1] = 2;
    out[at + 2] = IPV6_RTHDR_TYPE_2;
    out[at + 3] = 1;
    out.set(addressBytes(spec.routingHeader2), at + 8);
    next = IPPROTO_ROUTING;
  }
  const payloadLength = out.length - IPV6_HEADER_LEN;
  out[0] = 6 << 4;
  out[4] = payloadLength >> 8;
  out[5] = payloadLength & 0xff;
  out[6] = next;
  out[7] = spec.hopLimit ?? DEFAULT_HOP_LIMIT;
  out.set(addressBytes(spec.src), 8);
  out.set(addressBytes(spec.dst), 24);
}

function ipv4HeaderLength(spec: IpPacketSpec): number {
  if (spec.homeAddressOption !== undefined || spec.routingHeader2 !== undefined) {
    fail('EINVAL', 'the Home Address option and the type 2 Routing Header are IPv6 headers');
  }
  const total = IPV4_HEADER_LEN + spec.payload.length;
  if (total > 0xffff) fail('EMSGSIZE', `IPv4 packet of ${total} bytes`);
  return IPV4_HEADER_LEN;
}

function writeIpv4Header(out: Uint8Array, spec: IpPacketSpec): void {
  out.fill(0, 0, IPV4_HEADER_LEN);
  const dv = new DataView(out.buffer, out.byteOffset, IPV4_HEADER_LEN);
  out[0] = 0x45;
  dv.setUint16(2, out.length);
  dv.setUint16(4, (spec.id ?? 0) & 0xffff);
  out[8] = spec.hopLimit ?? DEFAULT_HOP_LIMIT;
  out[9] = spec.proto;
  out.set(addressBytes(spec.src), 12);
  out.set(addressBytes(spec.dst), 16);
  dv.setUint16(10, internetChecksum(out.subarray(0, IPV4_HEADER_LEN)));
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

export interface ParsedIpPacket {
  readonly family: 4 | 6;
  readonly src: Ip;
  readonly dst: Ip;
  /** The protocol after the extension headers this module walks (ESP, AH, or the upper layer). */
  readonly proto: number;
  readonly hopLimit: number;
  readonly homeAddressOption?: Ip;
  readonly routingHeader2?: Ip;
  /** Bytes before `payload`: the IP header and the extension headers walked. */
  readonly headerLength: number;
  /** Offset of the byte that holds `proto` as a next-header value (to rewrite it after ESP). */
  readonly nextHeaderOffset: number;
  readonly payload: Uint8Array;
}

/**
 * Parses an IPv6 packet through Hop-by-Hop, Routing and Destination Options headers (stopping at ESP, AH,
 * a fragment header or the upper layer), or an IPv4 header (checksum verified). EINVAL for anything
 * truncated or malformed; the caller counts it.
 */
export function parseIpPacket(bytes: Uint8Array): ParsedIpPacket {
  if (bytes.length < 1) fail('EINVAL', 'empty packet');
  const version = bytes[0]! >> 4;
  if (version === 6) return parseIpv6(bytes);
  if (version === 4) return parseIpv4(bytes);
  return fail('EINVAL', `IP version ${version}`);
}

function parseIpv6(bytes: Uint8Array): ParsedIpPacket {
  if (bytes.length < IPV6_HEADER_LEN) fail('EINVAL', `IPv6 packet of ${bytes.length} bytes`);
  const plen = (bytes[4]! << 8) | bytes[5]!;
  if (IPV6_HEADER_LEN + plen > bytes.length) fail('EINVAL', `IPv6 payload length ${plen} exceeds the packet`);
  const end = IPV6_HEADER_LEN + plen;
  let next = bytes[6]!;
  let nextAt = 6;
  let at = IPV6_HEADER_LEN;
  let hao: Ip | undefined;
  let rh2: Ip | undefined;
  while (next === IPPROTO_HOPOPTS || next === IPPROTO_ROUTING || next === IPPROTO_DSTOPTS) {
    if (at + 8 > end) fail('EINVAL', 'truncated extension header');
    const len = (bytes[at + 1]! + 1) * 8;
    if (at + len > end) fail('EINVAL', 'extension header runs past the packet');
    if (next === IPPROTO_ROUTING && bytes[at + 2] === IPV6_RTHDR_TYPE_2) {
      if (len !== 24 || bytes[at + 3] !== 1) fail('EINVAL', 'malformed type 2 routing header');
      rh2 = addressAt(bytes, at + 8, 6);
    } else if (next === IPPROTO_DSTOPTS) {
      hao = readHomeAddressOption(bytes, at, len) ?? hao;
    }
    nextAt = at;
    next = bytes[at]!;
    at += len;
  }
  const out: Writable<ParsedIpPacket> = {
    family: 6,
    src: addressAt(bytes, 8, 6),
    dst: addressAt(bytes, 24, 6),
    proto: next,
    hopLimit: bytes[7]!,
    headerLength: at,
    nextHeaderOffset: nextAt,
    payload: bytes.subarray(at, end),
  };
  if (hao !== undefined) out.homeAddressOption = hao;
  if (rh2 !== undefined) out.routingHeader2 = rh2;
  return out;
}

function readHomeAddressOption(bytes: Uint8Array, at: number, len: number): Ip | undefined {
  for (let o = at + 2; o < at + len; ) {
    const type = bytes[o]!;
    if (type === 0) {
      o++;
      continue;
    }
    if (o + 2 > at + len) fail('EINVAL', 'truncated destination option');
    const olen = bytes[o + 1]!;
    if (o + 2 + olen > at + len) fail('EINVAL', 'destination option runs past its header');
    if (type === IP6OPT_HOME_ADDRESS) {
      if (olen !== 16) fail('EINVAL', `Home Address option of ${olen} bytes`);
      return addressAt(bytes, o + 2, 6);
    }
    o += 2 + olen;
  }
  return undefined;
}

function parseIpv4(bytes: Uint8Array): ParsedIpPacket {
  if (bytes.length < IPV4_HEADER_LEN) fail('EINVAL', `IPv4 packet of ${bytes.length} bytes`);
  const ihl = (bytes[0]! & 0xf) * 4;
  const total = (bytes[2]! << 8) | bytes[3]!;
  if (ihl < IPV4_HEADER_LEN || total < ihl || total > bytes.length)
    fail('EINVAL', 'IPv4 header or total length is wrong');
  if (internetChecksum(bytes.subarray(0, ihl)) !== 0) fail('EINVAL', 'IPv4 header checksum');
  if ((((bytes[6]! << 8) | bytes[7]!) & 0x3fff) !== 0) fail('EINVAL', 'IPv4 fragments are not reassembled');
  return {
    family: 4,
    src: addressAt(bytes, 12, 4),
    dst: addressAt(bytes, 16, 4),
    proto: bytes[9]!,
    hopLimit: bytes[8]!,
    headerLength: ihl,
    nextHeaderOffset: 9,
    payload: bytes.subarray(ihl, total),
  };
}

/**
 * The selector fields a packet offers (RFC 4301 4.4.1.1): ports of TCP and UDP, the MH type of a Mobility
 * Header (RFC 6275 6.1.1: third byte), and ICMP type and code in the port fields as Linux puts them.
 */
export function packetKey(src: Ip, dst: Ip, proto: number, pdu: Uint8Array): PacketKey {
  if ((proto === IPPROTO_TCP || proto === IPPROTO_UDP) && pdu.length >= 4) {
    return { src, dst, proto, srcPort: (pdu[0]! << 8) | pdu[1]!, dstPort: (pdu[2]! << 8) | pdu[3]! };
  }
  if (proto === IPPROTO_MH && pdu.length >= 3) return { src, dst, proto, mhType: pdu[2]! };
  if ((proto === IPPROTO_ICMPV6 || proto === IPPROTO_ICMP) && pdu.length >= 2) {
    return { src, dst, proto, srcPort: pdu[0]!, dstPort: pdu[1]! };
  }
  return { src, dst, proto };
}
