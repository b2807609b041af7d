/**
 * UDP datagrams (RFC 768) inside the simulated IP layer, with the pseudo-header checksum of
 * RFC 8200 8.1 / RFC 768, so captures show valid UDP.
 */
import { type Ip, ipFamily, ipToBytes } from '@mip6sec/core';

export interface UdpDatagram {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly data: Uint8Array;
}

function sum16(bytes: Uint8Array, acc: number): number {
  let s = acc;
  const n = bytes.length & ~1;
  for (let i = 0; i < n; i += 2) s += (bytes[i]! << 8) | bytes[i + 1]!;
  if (bytes.length & 1) s += bytes[bytes.length - 1]! << 8;
  return s;
}

export function udpChecksum(src: Ip, dst: Ip, udp: Uint8Array): number {
  let s = sum16(ipToBytes(src), 0);
  s = sum16(ipToBytes(dst), s);
  s += 17 + udp.length;
  s = sum16(udp, s);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  const c = ~s & 0xffff;
  // RFC 768: a computed zero is sent as all ones (zero means "no checksum", forbidden over IPv6).
  return c === 0 ? 0xffff : c;
}

export function encodeUdp(src: Ip, dst: Ip, d: UdpDatagram): Uint8Array {
  const out = new Uint8Array(8 + d.data.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, d.srcPort);
  v.setUint16(2, d.dstPort);
  v.setUint16(4, out.length);
  out.set(d.data, 8);
  v.setUint16(6, udpChecksum(src, dst, out));
  return out;
}

/** Parses a UDP header; undefined when it is too short or its length field is inconsistent. */
export function decodeUdp(payload: Uint8Array): UdpDatagram | undefined {
  if (payload.length < 8) return undefined;
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const len = v.getUint16(4);
  if (len < 8 || len > payload.length) return undefined;
  return { srcPort: v.getUint16(0), dstPort: v.getUint16(2), data: payload.subarray(8, len) };
}

export function sameFamily(a: Ip, b: Ip): boolean {
  return ipFamily(a) === ipFamily(b);
}
