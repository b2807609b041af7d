/**
 * The Internet checksum over the IPv6 pseudo-header (RFC 8200 §8.1) that the Mobility Header uses
 * with next header 135 (RFC 6275 §6.1.1). The pseudo-header carries the logical addresses: the
 * home address when a Home Address option is present, and the final destination (the address in a
 * type 2 routing header) when one is — callers pass those.
 */
import { IPPROTO_MH, type Ip, ipToBytes } from '@mip6sec/core';

function addBytes(sum: number, b: Uint8Array, start = 0, end = b.length): number {
  let s = sum;
  let i = start;
  for (; i + 1 < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (i < end) s += b[i]! << 8;
  // Fold often enough that the sum stays far inside the 2^53 safe range.
  return (s & 0xffff) + Math.floor(s / 0x10000);
}

function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

function pseudoHeaderSum(src: Ip, dst: Ip, length: number, nextHeader: number): number {
  let s = addBytes(0, ipToBytes(src));
  s = addBytes(s, ipToBytes(dst));
  s += Math.floor(length / 0x10000) + (length & 0xffff) + nextHeader;
  return s;
}

/**
 * The one's-complement sum of the pseudo-header and `data`, with the 16-bit checksum field at
 * `checksumOffset` counted as zero.
 */
function sumWithoutField(
  src: Ip,
  dst: Ip,
  data: Uint8Array,
  nextHeader: number,
  checksumOffset: number,
): number {
  let s = pseudoHeaderSum(src, dst, data.length, nextHeader);
  s = addBytes(s, data, 0, checksumOffset);
  s = addBytes(s, data, checksumOffset + 2, data.length);
  return fold(s);
}

/**
 * The checksum to place at `checksumOffset` of `data` (an upper-layer header and what follows),
 * computed as if that field held zero.
 */
export function upperLayerChecksum(
  src: Ip,
  dst: Ip,
  data: Uint8Array,
  nextHeader: number = IPPROTO_MH,
  checksumOffset = 4,
): number {
  return ~sumWithoutField(src, dst, data, nextHeader, checksumOffset) & 0xffff;
}

/**
 * True when the checksum stored in `data` verifies: the sum over the pseudo-header and the whole
 * header, checksum included, is all ones. Either spelling of a zero sum (0x0000 or 0xffff) passes.
 */
export function verifyUpperLayerChecksum(
  src: Ip,
  dst: Ip,
  data: Uint8Array,
  nextHeader: number = IPPROTO_MH,
  checksumOffset = 4,
): boolean {
  if (data.length < checksumOffset + 2) return false;
  const stored = (data[checksumOffset]! << 8) | data[checksumOffset + 1]!;
  return fold(sumWithoutField(src, dst, data, nextHeader, checksumOffset) + stored) === 0xffff;
}
